using Microsoft.ML.OnnxRuntime;

namespace Sam3Serve.Engine.Onnx;

/// <summary>The values one run produced, by output name; disposes the ones not taken.</summary>
internal sealed class ModelOutputs : IDisposable
{
    private readonly Dictionary<string, OrtValue> _values;

    internal ModelOutputs(Dictionary<string, OrtValue> values) => _values = values;

    /// <summary>Output names present.</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>The value of output <paramref name="name"/> (still owned by this object).</summary>
    public OrtValue this[string name] => _values.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"the run produced no output '{name}'");

    /// <summary>Output <paramref name="name"/> as float32 (host values only).</summary>
    public float[] ReadFloats(string name) => ElementConversion.ToFloats(this[name]);

    /// <summary>Shape of output <paramref name="name"/>.</summary>
    public long[] Shape(string name) => this[name].GetTensorTypeAndShape().Shape;

    /// <summary>Moves ownership of output <paramref name="name"/> to the caller.</summary>
    public OrtValue Take(string name)
    {
        var value = this[name];
        _values.Remove(name);
        return value;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var v in _values.Values)
        {
            v.Dispose();
        }
        _values.Clear();
    }
}
