using Microsoft.ML.OnnxRuntime;

namespace Sam3Serve.Engine.Onnx;

/// <summary>
/// One value to feed a graph input: host data with a shape, converted to the input's declared element type at run
/// time, or an existing <see cref="OrtValue"/> (e.g. cached encoder outputs, possibly on the GPU) passed as is.
/// </summary>
internal readonly struct ModelInput
{
    private ModelInput(float[]? floats, long[]? longs, bool[]? bools, OrtValue? value, long[] shape)
    {
        Floats = floats;
        Longs = longs;
        Bools = bools;
        Value = value;
        Shape = shape;
    }

    /// <summary>Float data, if this input was given as floats.</summary>
    public float[]? Floats { get; }
    /// <summary>Integer data, if this input was given as integers.</summary>
    public long[]? Longs { get; }
    /// <summary>Boolean data, if this input was given as booleans.</summary>
    public bool[]? Bools { get; }
    /// <summary>A ready value, passed through unchanged when its element type matches.</summary>
    public OrtValue? Value { get; }
    /// <summary>The tensor shape (empty for a ready value; its own shape applies).</summary>
    public long[] Shape { get; }

    /// <summary>Float data of the given shape.</summary>
    public static ModelInput FromFloats(float[] data, params long[] shape) => new(Checked(data, data.Length, shape), null, null, null, shape);
    /// <summary>Integer data of the given shape.</summary>
    public static ModelInput FromLongs(long[] data, params long[] shape) => new(null, Checked(data, data.Length, shape), null, null, shape);
    /// <summary>Boolean data of the given shape.</summary>
    public static ModelInput FromBools(bool[] data, params long[] shape) => new(null, null, Checked(data, data.Length, shape), null, shape);
    /// <summary>An existing value (owned by the caller).</summary>
    public static ModelInput FromValue(OrtValue value) => new(null, null, null, value ?? throw new ArgumentNullException(nameof(value)), []);

    private static T Checked<T>(T data, int length, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }
        if (count != length)
        {
            throw new ArgumentException($"shape [{string.Join(",", shape)}] needs {count} elements, got {length}");
        }
        return data;
    }
}
