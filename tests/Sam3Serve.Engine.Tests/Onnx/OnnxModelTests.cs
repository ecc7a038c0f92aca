using Sam3Serve.Engine.Bundle;
using Sam3Serve.Fixture;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Onnx;

public sealed class OnnxModelTests
{
    [Fact]
    public void Inputs_FixtureVisionEncoder_ComeFromMetadata()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);

        using var model = OnnxModel.Load(Path.Combine(dir.Path, BundleFiles.VisionEncoder), new EngineOptions());

        var input = Assert.Single(model.Inputs);
        Assert.Equal("images", input.Name);
        Assert.Equal([-1L, 3, FixtureGeometry.ImageSize, FixtureGeometry.ImageSize], input.Shape);
    }

    [Fact]
    public void Run_TextEncoder_ConvertsAndReturnsDeclaredOutputs()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        var ids = FixtureBundle.KeywordIds(Path.Combine(dir.Path, BundleFiles.Vocabulary));
        using var model = OnnxModel.Load(Path.Combine(dir.Path, BundleFiles.TextEncoder), new EngineOptions());
        var tokens = new long[32];
        tokens[1] = ids[1]; // "green"
        var mask = new long[32];
        mask[0] = mask[1] = 1;

        using var outputs = model.Run(new Dictionary<string, ModelInput>
        {
            ["input_ids"] = ModelInput.FromLongs(tokens, 1, 32),
            ["attention_mask"] = ModelInput.FromLongs(mask, 1, 32),
        });

        var features = outputs.ReadFloats("text_features");
        Assert.Equal([1L, 32, 4], outputs.Shape("text_features"));
        Assert.Equal(new float[] { 0, 1, 0, 0 }, features.AsSpan(4, 4).ToArray());
        Assert.Equal(1f, outputs.ReadFloats("text_mask")[1]);
        Assert.Equal(0f, outputs.ReadFloats("text_mask")[2]);
    }

    [Fact]
    public void Run_MissingOrMisshapenInput_ThrowsNamingIt()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        using var model = OnnxModel.Load(Path.Combine(dir.Path, BundleFiles.TextEncoder), new EngineOptions());

        var missing = Assert.Throws<InvalidOperationException>(() => model.Run(new Dictionary<string, ModelInput>
        {
            ["input_ids"] = ModelInput.FromLongs(new long[32], 1, 32),
        }));
        var misshapen = Assert.Throws<InvalidOperationException>(() => model.Run(new Dictionary<string, ModelInput>
        {
            ["input_ids"] = ModelInput.FromLongs(new long[16], 1, 16),
            ["attention_mask"] = ModelInput.FromLongs(new long[16], 1, 16),
        }));

        Assert.Contains("attention_mask", missing.Message, StringComparison.Ordinal);
        Assert.Contains("input_ids", misshapen.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SessionOptions_UnknownProvider_IsAClearError()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SessionOptionsFactory.Create(new EngineOptions { ExecutionProvider = "npu" }));

        Assert.Contains("npu", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SessionOptions_Cuda_LoadsOnlyWhereTheRuntimeHasTheProvider()
    {
        var available = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");
        if (available)
        {
            using var options = SessionOptionsFactory.Create(new EngineOptions { ExecutionProvider = "cuda" });
            return;
        }

        var error = Assert.Throws<InvalidOperationException>(() => SessionOptionsFactory.Create(new EngineOptions { ExecutionProvider = "cuda" }));

        Assert.Contains("CUDA execution provider", error.Message, StringComparison.Ordinal);
    }
}
