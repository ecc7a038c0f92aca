using Sam3Serve.Client.IntegrationTests.Infrastructure;
using Xunit;

namespace Sam3Serve.Client.IntegrationTests;

/// <summary>Every prompt mode through the SDK's v2 path (RunAsync) against the real service and engine.</summary>
public sealed class ModeTests(PlainService service) : IClassFixture<PlainService>
{
    private static readonly byte[] ScenePng = Scene.Png();

    private static Sam3Request Request() => Sam3Request.FromBytes(ScenePng).WithMasks(Sam3MaskFormat.Rle);

    private static byte[] Pixels(Sam3Mask mask)
    {
        var rle = Assert.IsType<Sam3Rle>(mask.Mask?.Rle);
        Assert.Equal((Scene.Height, Scene.Width), (rle.Height, rle.Width));
        var pixels = rle.Decode();
        Assert.Equal(pixels.LongCount(p => p == 1), mask.Area);
        return pixels;
    }

    [Theory]
    [InlineData("red")]
    [InlineData("green")]
    [InlineData("blue")]
    public async Task RunAsync_TextPrompt_MaskOnThatRectangle(string colour)
    {
        using var client = service.Client();

        var result = await client.RunAsync(Request().WithTextPrompt(colour));

        Assert.Equal(Sam3JobState.Completed, result.State);
        Assert.False(string.IsNullOrEmpty(result.RequestId));
        Assert.True(result.Metrics.InferenceTime > 0, "metrics.inference_time is missing");
        var output = Assert.IsType<Sam3Output>(result.Output);
        Assert.Equal(("concept", Scene.Width, Scene.Height, 1), (output.Mode, output.Width, output.Height, output.Count));
        var mask = Assert.Single(output.Masks);
        Assert.Equal(Sam3MaskDataKind.Rle, mask.Mask!.Kind);
        Assert.InRange(mask.Score, 0.5, 1);
        Scene.AssertBox(mask.Box, Scene.Of(colour));
        Scene.AssertOn(Pixels(mask), Scene.Of(colour));
    }

    [Fact]
    public async Task RunAsync_SeveralTextPrompts_MasksCarryTheirPromptIndex()
    {
        using var client = service.Client();

        var result = await client.RunAsync(Request().WithTextPrompts("blue", "purple elephant", "red"));

        var masks = result.Output!.Masks;
        Assert.Equal(2, masks.Count);
        var blue = Assert.Single(masks, m => m.PromptIndex == 0);
        var red = Assert.Single(masks, m => m.PromptIndex == 2);
        Scene.AssertOn(Pixels(blue), Scene.Blue);
        Scene.AssertOn(Pixels(red), Scene.Red);
    }

    [Fact]
    public async Task RunAsync_BoxExemplar_FindsTheColourInsideTheBox()
    {
        using var client = service.Client();
        var g = Scene.Green;

        var result = await client.RunAsync(Request().WithBox(g.Left + 10, g.Top + 10, g.Right - 10, g.Bottom - 10));

        Assert.Equal("concept", result.Output!.Mode);
        Scene.AssertOn(Pixels(Assert.Single(result.Output.Masks)), Scene.Green);
    }

    [Theory]
    [InlineData("red")]
    [InlineData("blue")]
    public async Task RunAsync_InteractivePoint_SelectsTheRegionUnderIt(string colour)
    {
        using var client = service.Client();
        var r = Scene.Of(colour);

        var result = await client.RunAsync(Request().WithPoint(r.MidX, r.MidY));

        Assert.Equal("interactive", result.Output!.Mode);
        var mask = Assert.Single(result.Output.Masks);
        Scene.AssertBox(mask.Box, r);
        Scene.AssertOn(Pixels(mask), r);
    }

    [Fact]
    public async Task RunAsync_BackgroundPointBesideForeground_StillSelectsTheForegroundRegion()
    {
        using var client = service.Client();
        var r = Scene.Green;

        var result = await client.RunAsync(Request()
            .WithPoint(r.MidX, r.MidY)
            .WithPoint(r.Left - 20, r.MidY, Sam3PointLabel.Background));

        Scene.AssertOn(Pixels(Assert.Single(result.Output!.Masks)), r);
    }

    [Fact]
    public async Task RunAsync_BoxModeObject_OneMaskPerBox()
    {
        using var client = service.Client();
        Sam3Box Inside(SkiaSharp.SKRectI r) => new(r.Left + 5, r.Top + 5, r.Right - 5, r.Bottom - 5);

        var result = await client.RunAsync(Request().WithBoxes(Inside(Scene.Red), Inside(Scene.Blue)).WithBoxMode(Sam3BoxMode.Object));

        Assert.Equal("interactive", result.Output!.Mode);
        Assert.Equal(2, result.Output.Count);
        var decoded = result.Output.Masks.Select(Pixels).ToList();
        Assert.Contains(decoded, d => Scene.IoU(d, Scene.Red) > 0.85);
        Assert.Contains(decoded, d => Scene.IoU(d, Scene.Blue) > 0.85);
    }

    [Fact]
    public async Task RunAsync_Automatic_OneMaskPerColourRegion_AndMaxMasksCaps()
    {
        using var client = service.Client();

        var all = await client.RunAsync(Request().WithPointsPerSide(12).WithPredIouThresh(0.5));
        var capped = await client.RunAsync(Request().WithPointsPerSide(12).WithPredIouThresh(0.5).WithMaxMasks(2));

        Assert.Equal("automatic", all.Output!.Mode);
        var decoded = all.Output.Masks.Select(Pixels).ToList();
        foreach (var rect in new[] { Scene.Red, Scene.Green, Scene.Blue })
        {
            Assert.Contains(decoded, d => Scene.IoU(d, rect) > 0.85);
        }
        Assert.True(all.Output.Count > 2, $"automatic mode kept only {all.Output.Count} masks");
        Assert.Equal(2, capped.Output!.Count);
        Assert.Equal(2, capped.Output.Masks.Count);
        // max_masks keeps the highest scores.
        var best = all.Output.Masks.Select(m => m.Score).OrderDescending().Take(2);
        Assert.Equal(best, capped.Output.Masks.Select(m => m.Score).OrderDescending());
    }

    [Fact]
    public async Task RunAsync_PolygonMasks_RingsAroundTheRectangle()
    {
        using var client = service.Client();

        var result = await client.RunAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("green").WithMasks(Sam3MaskFormat.Polygon));

        var data = Assert.Single(result.Output!.Masks).Mask!;
        Assert.Equal(Sam3MaskDataKind.Polygons, data.Kind);
        var ring = Assert.Single(data.Polygons!);
        var xs = ring.Where((_, i) => i % 2 == 0).ToArray();
        var ys = ring.Where((_, i) => i % 2 == 1).ToArray();
        Scene.AssertBox(new Sam3Box(xs.Min(), ys.Min(), xs.Max(), ys.Max()), Scene.Green);
    }
}
