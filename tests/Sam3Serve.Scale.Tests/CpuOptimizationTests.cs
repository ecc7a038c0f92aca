using Microsoft.ML.OnnxRuntime;
using Sam3Serve.Engine;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Onnx.Optimization;
using Sam3Serve.Engine.Preprocessing;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Scale.Tests;

/// <summary>
/// The CPU form of the depth2 graphs against the exact ones: the attention rewrite is the same math (equal within
/// 1e-4 relative); the int8 form's error is reported per output and held to a bound. The weights are random, so the
/// int8 error says nothing about real weights (no activation outliers here).
/// </summary>
[Collection(CpuOptimizationCollection.Name)]
[Trait("Category", "Scale")]
public sealed class CpuOptimizationTests
{
    [Fact]
    public void AttentionRewrite_VisionEncoder_EqualsThePlainGraph()
    {
        var source = ModelBundle.Open(ScaleBundle.Require(), "fp32").Concept!.VisionEncoder;
        using var work = new TempDir("sam3serve-attn");
        var (plain, rewritten) = Optimized(source, work.Path, new CpuOptimization(Attention: true, QuantizeMatMuls: false), out var report);
        Assert.Equal(2, report.AttentionBlocks); // depth2: one windowed, one global layer
        Assert.Equal(0, report.QuantizedMatMuls);

        var expected = Run(plain, VisionInput());
        var actual = Run(rewritten, VisionInput());
        foreach (var (name, want) in expected)
        {
            var (maxAbs, scale) = Difference(want, actual[name]);
            TestContext.Current.SendDiagnosticMessage($"attention rewrite, {name}: max |diff| {maxAbs:G3} (values up to {scale:G3})");
            Assert.True(maxAbs <= 1e-4f * scale, $"{name}: max |difference| {maxAbs} (values up to {scale})");
        }
    }

    [Theory]
    [InlineData("vision-encoder")]
    [InlineData("text-encoder")]
    public void Int8_ErrorAgainstFp32_IsWithinTheStatedBound(string role)
    {
        var dir = ScaleBundle.Require();
        var source = Path.Combine(dir, BundleRole.FromId(role)!.FileName);
        using var work = new TempDir("sam3serve-int8");
        var (plain, optimized) = Optimized(source, work.Path, CpuOptimization.Full, out var report);
        Assert.True(report.QuantizedMatMuls > 0);

        var inputs = role == "vision-encoder" ? VisionInput() : TextInput();
        var expected = Run(plain, inputs);
        var actual = Run(optimized, inputs);
        foreach (var (name, want) in expected)
        {
            var (maxAbs, scale) = Difference(want, actual[name]);
            var relative = maxAbs / Math.Max(scale, 1e-12f);
            TestContext.Current.SendDiagnosticMessage($"int8 {role}, {name}: max |diff| {maxAbs:G3}, relative to max |fp32| {relative:P2} ({report.QuantizedMatMuls} MatMuls, {report.AttentionBlocks} attention blocks)");
            Assert.True(relative <= Int8RelativeBound, $"{role} {name}: max |diff| {maxAbs} is {relative:P2} of max |fp32| {scale}");
        }
    }

    /// <summary>Max |int8 − fp32| / max |fp32| allowed per output (random weights; see the class note).</summary>
    private const float Int8RelativeBound = 0.05f;

    private static (string Plain, string Optimized) Optimized(string source, string workDir, CpuOptimization what, out GraphOptimizationReport report)
    {
        // The optimized graph reads the untouched tensors from the source's data file by name, so both sit in one folder
        // (a copy: ONNX Runtime resolves links and refuses data outside the model's folder).
        var name = Path.GetFileName(source);
        var plain = Path.Combine(workDir, name);
        File.Copy(source, plain);
        File.Copy(source + ".data", plain + ".data");
        var optimized = Path.Combine(workDir, Path.GetFileNameWithoutExtension(name) + "-int8.onnx");
        report = CpuGraphOptimizer.Optimize(plain, optimized, what);
        Assert.Equal(optimized, report.Destination);
        return (plain, optimized);
    }

    private static Dictionary<string, Func<OrtValue>> VisionInput()
    {
        var pixels = new float[3 * 1008 * 1008];
        ImagePreprocessor.ToNchw(ScaleEngine.Image(seed: 11), 1008, 1008, pixels);
        return new() { ["images"] = () => OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, 1008, 1008]) };
    }

    private static Dictionary<string, Func<OrtValue>> TextInput()
    {
        var ids = new long[32];
        var mask = new long[32];
        long[] tokens = [49406, 1615, 49407];
        for (var i = 0; i < tokens.Length; i++)
        {
            ids[i] = tokens[i];
            mask[i] = 1;
        }
        return new()
        {
            ["input_ids"] = () => OrtValue.CreateTensorValueFromMemory(ids, [1, 32]),
            ["attention_mask"] = () => OrtValue.CreateTensorValueFromMemory(mask, [1, 32]),
        };
    }

    private static Dictionary<string, float[]> Run(string path, Dictionary<string, Func<OrtValue>> inputs)
    {
        NativeHeap.Configure();
        using var options = SessionOptionsFactory.Create(new EngineOptions { ModelDir = Path.GetDirectoryName(path)! });
        using var session = new InferenceSession(path, options);
        var names = session.InputNames.ToArray();
        var values = names.Select(n => inputs[n]()).ToArray();
        var outputs = session.OutputNames.Where(n => session.OutputMetadata[n].ElementType == typeof(float)).ToArray();
        try
        {
            using var results = session.Run(new RunOptions(), names, values, outputs);
            return outputs.Zip(results).ToDictionary(p => p.First, p => p.Second.GetTensorDataAsSpan<float>().ToArray());
        }
        finally
        {
            foreach (var v in values)
            {
                v.Dispose();
            }
            NativeHeap.Trim();
        }
    }

    private static (float MaxAbs, float Scale) Difference(float[] want, float[] got)
    {
        Assert.Equal(want.Length, got.Length);
        float worst = 0, scale = 0;
        for (var i = 0; i < want.Length; i++)
        {
            Assert.True(float.IsFinite(got[i]), $"non-finite value at {i}");
            worst = MathF.Max(worst, MathF.Abs(want[i] - got[i]));
            scale = MathF.Max(scale, MathF.Abs(want[i]));
        }
        return (worst, scale);
    }
}

/// <summary>The optimizer tests load graphs of their own, never beside the shared engine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CpuOptimizationCollection
{
    public const string Name = "sam3-scale depth2 CPU form";
}

/// <summary><c>models optimize</c> on a copy of the depth2 bundle: what it writes, records and serves.</summary>
[Collection(CpuOptimizationCollection.Name)]
[Trait("Category", "Scale")]
public sealed class BundleOptimizationTests
{
    [Fact]
    public async Task Optimize_RecordsTheCpuForm_ServesIt_KeepsTheOriginals_AndTheTrunkStaysShared()
    {
        var source = ScaleBundle.Require();
        using var work = new TempDir("sam3serve-optimize");
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(work.Path, Path.GetFileName(file)));
        }

        var result = await Sam3Serve.Models.BundleOptimizer.OptimizeAsync(work.Path, null, TestContext.Current.CancellationToken);

        Assert.Equal("fp32", result.BaseVariant);
        var byFile = result.Graphs.ToDictionary(g => Path.GetFileName(g.Source));
        Assert.Equal((2, 12), (byFile[BundleFiles.VisionEncoder].AttentionBlocks, byFile[BundleFiles.VisionEncoder].QuantizedMatMuls));
        Assert.Equal((2, 12), (byFile[BundleFiles.TrackerVisionEncoder].AttentionBlocks, byFile[BundleFiles.TrackerVisionEncoder].QuantizedMatMuls));
        Assert.Equal((0, 12), (byFile[BundleFiles.TextEncoder].AttentionBlocks, byFile[BundleFiles.TextEncoder].QuantizedMatMuls));
        Assert.Null(byFile[BundleFiles.GeoEncoderMaskDecoder].Destination); // 256 wide: nothing large enough
        Assert.Null(byFile[BundleFiles.TrackerDecoder].Destination);

        var served = ModelBundle.Open(work.Path, null);
        Assert.Equal("int8", served.Variant);
        Assert.Equal("vision-encoder-int8.onnx", Path.GetFileName(served.Concept!.VisionEncoder));
        Assert.Equal("text-encoder-int8.onnx", Path.GetFileName(served.Concept.TextEncoder));
        Assert.Equal(BundleFiles.GeoEncoderMaskDecoder, Path.GetFileName(served.Concept.Decoder));
        Assert.Equal("tracker-vision-encoder-int8.onnx", Path.GetFileName(served.Tracker!.VisionEncoder));
        Assert.Equal(BundleFiles.TrackerDecoder, Path.GetFileName(served.Tracker.Decoder));

        var exact = ModelBundle.Open(work.Path, "fp32");
        Assert.Equal("fp32", exact.Variant);
        Assert.All(exact.FileVariants, f => Assert.Equal("fp32", f.Value));
        Assert.Equal(BundleFiles.VisionEncoder, Path.GetFileName(exact.Concept!.VisionEncoder));

        Assert.True(Sam3Serve.Models.ModelVerifier.Verify(work.Path, TestContext.Current.CancellationToken).IsValid);
        foreach (var file in Directory.GetFiles(source))
        {
            Assert.True(File.Exists(Path.Combine(work.Path, Path.GetFileName(file))), $"{Path.GetFileName(file)} was removed");
        }

        // Both encoders were quantized from the same trunk weights, so they still share it, byte for byte.
        var analysis = Sam3Serve.Engine.Onnx.TrunkSharing.TrunkSplitter.Analyse(served.Concept.VisionEncoder, served.Tracker.VisionEncoder);
        Assert.True(analysis.Split is not null, analysis.Reason);
    }
}
