using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Sam3Serve.Engine;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Onnx.TrunkSharing;
using Sam3Serve.Engine.Preprocessing;
using Xunit;

namespace Sam3Serve.Scale.Tests;

/// <summary>The split is a rewrite, not an approximation: trunk + tracker neck equal the whole tracker encoder.</summary>
[Collection(ScaleCollection.Name)]
[Trait("Category", "Scale")]
public sealed class TrunkSplitTests
{
    [Fact]
    public void TrunkThenTrackerNeck_EqualsTheWholeTrackerEncoder()
    {
        var dir = ScaleBundle.Require();
        var bundle = ModelBundle.Open(dir, null);
        var split = TrunkSplitter.Analyse(bundle.Concept!.VisionEncoder, bundle.Tracker!.VisionEncoder).Split;
        Assert.NotNull(split);
        var options = new EngineOptions { ModelDir = dir };
        NativeHeap.Configure();

        var image = ScaleEngine.Image(seed: 7);
        var pixels = new float[3 * 1008 * 1008];
        ImagePreprocessor.ToNchw(image, 1008, 1008, pixels);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, 1008, 1008]);

        Dictionary<string, float[]> expected;
        using (var whole = new InferenceSession(bundle.Tracker.VisionEncoder, SessionOptionsFactory.Create(options)))
        {
            expected = Run(whole, new() { [whole.InputNames[0]] = input });
        }
        NativeHeap.Trim();

        using var trunkOptions = SessionOptionsFactory.CreateForBytes(options, split!.DetectorDirectory);
        using var trunk = new InferenceSession(split.Trunk.ToByteArray(), trunkOptions);
        var trunkOut = trunk.Run(new RunOptions(), [trunk.InputNames[0]], [input], trunk.OutputNames)
            .Zip(trunk.OutputNames).ToDictionary(p => p.Second, p => p.First);
        var neckBytes = split.TrackerNeck.Serialize(n => ((int)trunk.OutputMetadata[n].ElementDataType, trunk.OutputMetadata[n].Dimensions.Select(d => (long)d).ToArray()));
        using var neckOptions = SessionOptionsFactory.CreateForBytes(options, split.TrackerDirectory);
        using var neck = new InferenceSession(neckBytes, neckOptions);
        var actual = Run(neck, split.TrackerNeck.Inputs.ToDictionary(i => i.NeckInputName, i => trunkOut[i.TrunkOutput]));
        foreach (var v in trunkOut.Values)
        {
            v.Dispose();
        }

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, want) in expected)
        {
            var got = actual[name];
            Assert.Equal(want.Length, got.Length);
            var scale = want.Max(MathF.Abs);
            var worst = want.Zip(got).Max(p => MathF.Abs(p.First - p.Second));
            Assert.True(worst <= 1e-4f * Math.Max(1f, scale), $"{name}: max |difference| {worst} (values up to {scale})");
        }
    }

    private static Dictionary<string, float[]> Run(InferenceSession session, Dictionary<string, OrtValue> inputs)
    {
        var names = session.InputNames.ToArray();
        using var results = new DisposableList(session.Run(new RunOptions(), names, names.Select(n => inputs[n]).ToArray(), session.OutputNames));
        return session.OutputNames.Zip(results.Values).ToDictionary(p => p.First, p => p.Second.GetTensorDataAsSpan<float>().ToArray());
    }

    private sealed class DisposableList(IDisposableReadOnlyCollection<OrtValue> values) : IDisposable
    {
        public IReadOnlyList<OrtValue> Values { get; } = values.ToList();

        public void Dispose() => values.Dispose();
    }
}
