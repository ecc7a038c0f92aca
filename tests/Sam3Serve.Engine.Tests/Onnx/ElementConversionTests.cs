using Microsoft.ML.OnnxRuntime.Tensors;
using Sam3Serve.Engine.Onnx;
using Xunit;

namespace Sam3Serve.Engine.Tests.Onnx;

public sealed class ElementConversionTests
{
    [Fact]
    public void CreateValue_FloatsAsFloat16_RoundTripsToNearestHalf()
    {
        using var value = ElementConversion.CreateValue(ModelInput.FromFloats([1.5f, -2f, 0.1f], 3), TensorElementType.Float16);

        Assert.Equal(TensorElementType.Float16, value.GetTensorTypeAndShape().ElementDataType);
        Assert.Equal(new[] { 1.5f, -2f, (float)(Half)0.1f }, ElementConversion.ToFloats(value));
    }

    [Fact]
    public void CreateValue_FloatsAsBFloat16_KeepsEightMantissaBits()
    {
        using var value = ElementConversion.CreateValue(ModelInput.FromFloats([1f, 3.140625f, -0.5f], 3), TensorElementType.BFloat16);

        Assert.Equal(new[] { 1f, 3.140625f, -0.5f }, ElementConversion.ToFloats(value));
    }

    [Fact]
    public void CreateValue_LongsAsInt64AndBoolsAsBool_ReadBackAsFloats()
    {
        using var longs = ElementConversion.CreateValue(ModelInput.FromLongs([49406, -10], 1, 2), TensorElementType.Int64);
        using var bools = ElementConversion.CreateValue(ModelInput.FromBools([true, false, true], 3), TensorElementType.Bool);
        using var boolsFromLongs = ElementConversion.CreateValue(ModelInput.FromLongs([1, 0], 2), TensorElementType.Bool);

        Assert.Equal(new[] { 49406f, -10f }, ElementConversion.ToFloats(longs));
        Assert.Equal(new[] { 1f, 0f, 1f }, ElementConversion.ToFloats(bools));
        Assert.Equal(new[] { 1f, 0f }, ElementConversion.ToFloats(boolsFromLongs));
    }

    [Fact]
    public void CopySlice_Float16Tensor_ConvertsOnlyTheSlice()
    {
        using var value = ElementConversion.CreateValue(ModelInput.FromFloats([0, 1, 2, 3, 4, 5], 2, 3), TensorElementType.Float16);
        var slice = new float[3];

        ElementConversion.CopySlice(value, 3, slice);

        Assert.Equal(new float[] { 3, 4, 5 }, slice);
    }

    [Fact]
    public void FromFloats_ShapeMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => ModelInput.FromFloats([1, 2, 3], 2, 2));
    }
}
