using Google.Protobuf;
using Onnx;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Fixture;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

/// <summary>
/// The load-time self-check: a decoder that answers the same input differently from run to run is refused with a
/// clear error (here made so on purpose: unseeded random noise added to its first output).
/// </summary>
public sealed class SelfCheckTests
{
    [Theory]
    [InlineData(BundleFiles.TrackerDecoder, "tracker decoder")]
    [InlineData(BundleFiles.GeoEncoderMaskDecoder, "concept decoder")]
    public async Task InitializeAsync_DecoderThatDiffersBetweenRuns_RefusesToServe(string file, string decoder)
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        AddRunToRunNoise(Path.Combine(dir.Path, file));
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.InitializeAsync(TestContext.Current.CancellationToken));

        Assert.Contains("self-check failed", error.Message);
        Assert.Contains(decoder, error.Message);
        Assert.False(engine.IsReady);
    }

    [Fact]
    public async Task InitializeAsync_SameNoisyDecoderWithoutTheCheck_Loads()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        AddRunToRunNoise(Path.Combine(dir.Path, BundleFiles.TrackerDecoder));
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path, SelfCheck = false, WarmUp = false });

        await engine.InitializeAsync(TestContext.Current.CancellationToken);

        Assert.True(engine.IsReady);
    }

    /// <summary>Adds RandomUniformLike noise (no seed: new values every run) to the graph's first output.</summary>
    private static void AddRunToRunNoise(string path)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var graph = model.Graph;
        var output = graph.Output[0].Name;
        var clean = output + "_before_noise";
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i] == output)
                {
                    node.Output[i] = clean;
                }
            }
        }
        var noise = new NodeProto { OpType = "RandomUniformLike", Name = "test_noise", Input = { clean }, Output = { output + "_noise" } };
        noise.Attribute.Add(new AttributeProto { Name = "low", Type = AttributeProto.Types.AttributeType.Float, F = 0f });
        noise.Attribute.Add(new AttributeProto { Name = "high", Type = AttributeProto.Types.AttributeType.Float, F = 1e-3f });
        graph.Node.Add(noise);
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "test_add_noise", Input = { clean, output + "_noise" }, Output = { output } });
        File.WriteAllBytes(path, model.ToByteArray());
    }
}
