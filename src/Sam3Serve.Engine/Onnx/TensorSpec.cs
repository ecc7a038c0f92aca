using Microsoft.ML.OnnxRuntime.Tensors;

namespace Sam3Serve.Engine.Onnx;

/// <summary>A graph input or output as the session's metadata declares it.</summary>
/// <param name="Name">The tensor's name in the graph.</param>
/// <param name="ElementType">Declared element type.</param>
/// <param name="Shape">Dimensions; -1 where the dimension is dynamic.</param>
internal sealed record TensorSpec(string Name, TensorElementType ElementType, IReadOnlyList<long> Shape)
{
    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Count;

    /// <summary>The dimension at <paramref name="axis"/> (negative counts from the end), or -1 if dynamic.</summary>
    public long Dim(int axis) => Shape[axis < 0 ? Shape.Count + axis : axis];

    /// <summary>True when the dimension at <paramref name="axis"/> has a fixed size.</summary>
    public bool IsStatic(int axis) => Dim(axis) > 0;

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {ElementType} [{string.Join(", ", Shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
