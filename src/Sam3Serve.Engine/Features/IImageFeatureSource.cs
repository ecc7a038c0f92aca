using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine.Caching;

namespace Sam3Serve.Engine.Features;

/// <summary>The image features one path (detector or tracker) decodes from, cached per image.</summary>
internal interface IImageFeatureSource
{
    /// <summary>Input width in pixels of the encoder this source runs.</summary>
    int InputWidth { get; }

    /// <summary>Input height in pixels of the encoder this source runs.</summary>
    int InputHeight { get; }

    /// <summary>Output names and shapes, as the encoder declares them.</summary>
    IReadOnlyList<Onnx.TensorSpec> Outputs { get; }

    /// <summary>Returns the features of <paramref name="image"/> with a reference the caller must release.</summary>
    FeatureSet Encode(RgbImage image, string imageKey, StageClock clock, CancellationToken cancellationToken);
}
