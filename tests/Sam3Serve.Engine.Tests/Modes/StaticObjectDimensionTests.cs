using Google.Protobuf;
using Onnx;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Fixture;
using Sam3Serve.Engine.Tests.Support;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

public sealed class StaticObjectDimensionTests
{
    [Fact]
    public async Task SegmentAsync_AutomaticWithStaticOneObjectDecoder_RunsOnePointPerCall()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        FixObjectDimension(Path.Combine(dir.Path, BundleFiles.TrackerDecoder), 1);
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path, WarmUp = false });
        await engine.InitializeAsync(TestContext.Current.CancellationToken);
        var scene = SyntheticImage.Landscape();

        var result = await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Automatic, PointsPerSide = 6 }, scene.Image, TestContext.Current.CancellationToken);

        Assert.Equal(36, engine.Counters.TrackerDecoderRuns);
        Assert.InRange(result.Objects.Count, 2, 4); // a 6×6 grid may miss the smaller rectangles, never invents any
        Assert.Contains(result.Objects, o => Math.Abs(o.Box[0] - scene.Red.X0) <= 2 && Math.Abs(o.Box[3] - (scene.Red.Y1 - 1)) <= 2);
    }

    /// <summary>Rewrites the decoder's declared object dimension (inputs only) to a fixed size.</summary>
    private static void FixObjectDimension(string path, long size)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        foreach (var input in model.Graph.Input.Where(i => i.Name is "input_points" or "input_labels"))
        {
            var dim = input.Type.TensorType.Shape.Dim[1];
            dim.DimValue = size;
        }
        File.WriteAllBytes(path, model.ToByteArray());
    }
}
