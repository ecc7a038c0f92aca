using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Sam3Serve.Tests.Common;
using SkiaSharp;
using Xunit;

namespace Sam3Serve.EndToEnd.Tests;

/// <summary>
/// Every mode through HTTP with the ONNX engine on the fixture bundle: the masks and boxes must land on
/// the right pixels of the original image, whatever its shape or orientation.
/// </summary>
public sealed class FixtureSegmentationTests(FixtureService service) : IClassFixture<FixtureService>
{
    public static TheoryData<string, string> ScenesAndColours => new()
    {
        { "landscape", "red" }, { "landscape", "green" }, { "landscape", "blue" },
        { "portrait", "red" }, { "portrait", "green" }, { "portrait", "blue" },
    };

    private static Scene SceneNamed(string name) => name == "portrait" ? Scene.Portrait() : Scene.Landscape();

    /// <summary>
    /// The fixture decides at its low mask resolution (126² here) on an antialiased downscale, so a boundary
    /// cell that mixes a rectangle's colour with the background can count as inside: masks may grow by
    /// about one cell per side (IoU ≈ 0.88 on these scenes), never shift.
    /// </summary>
    private static double Tolerance(Scene s) => 2.5 * Math.Max(s.Width, s.Height) / 126.0 + 2;

    [Theory]
    [MemberData(nameof(ScenesAndColours))]
    public async Task Concept_TextColour_FindsThatRectangle(string sceneName, string colour)
    {
        var scene = SceneNamed(sceneName);
        var output = await service.SegmentAsync(scene.Png(), new { text_prompt = colour });

        Assert.Equal("concept", output["mode"]!.GetValue<string>());
        Assert.Equal(scene.Width, output["width"]!.GetValue<int>());
        Assert.Equal(scene.Height, output["height"]!.GetValue<int>());
        var mask = Assert.Single(output["masks"]!.AsArray())!;
        Assert.InRange(mask["score"]!.GetValue<double>(), 0.8, 0.99);
        Assert.Equal(0, mask["prompt_index"]!.GetValue<int>());
        Scene.AssertBox(mask["box"]!, scene[colour], Tolerance(scene));
        var pixels = Scene.Decode(mask["mask"]!, scene.Width, scene.Height);
        Scene.AssertIoU(pixels, scene.Width, scene[colour], 0.85);
        Assert.Equal(pixels.Count(p => p == 1), mask["area"]!.GetValue<long>());
    }

    [Fact]
    public async Task Concept_OtherText_DetectsNothing()
    {
        var output = await service.SegmentAsync(Scene.Landscape().Png(), new { text_prompt = "purple elephant" });
        Assert.Equal(0, output["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Concept_SeveralPrompts_KeepPromptOrder()
    {
        var scene = Scene.Landscape();
        var output = await service.SegmentAsync(scene.Png(), new { text_prompts = new[] { "blue", "nothing here", "red" } });
        var masks = output["masks"]!.AsArray();
        Assert.Equal(2, masks.Count);
        Assert.Equal(0, masks[0]!["prompt_index"]!.GetValue<int>());
        Assert.Equal(2, masks[1]!["prompt_index"]!.GetValue<int>());
        Scene.AssertIoU(Scene.Decode(masks[0]!["mask"]!, scene.Width, scene.Height), scene.Width, scene.Blue, 0.85);
        Scene.AssertIoU(Scene.Decode(masks[1]!["mask"]!, scene.Width, scene.Height), scene.Width, scene.Red, 0.85);
    }

    [Fact]
    public async Task Concept_BoxExemplar_FindsTheColourInTheBox()
    {
        var scene = Scene.Portrait();
        var g = scene.Green;
        var output = await service.SegmentAsync(scene.Png(), new { boxes_input = $"[[{g.Left + 10}, {g.Top + 10}, {g.Right - 10}, {g.Bottom - 10}]]" });
        Assert.Equal("concept", output["mode"]!.GetValue<string>());
        var mask = Assert.Single(output["masks"]!.AsArray())!;
        Scene.AssertIoU(Scene.Decode(mask["mask"]!, scene.Width, scene.Height), scene.Width, scene.Green, 0.85);
    }

    private static string Inside(SKRectI r) => $"[{r.Left + 10}, {r.Top + 10}, {r.Right - 10}, {r.Bottom - 10}]";

    [Fact]
    public async Task Concept_NegativeBoxOnTheTextColour_RemovesThatColour()
    {
        // The fixture ORs the colours of text and positive boxes, then drops the colours under negative boxes:
        // the same box is a second "red" as label 1 and cancels "red" as label 0.
        var scene = Scene.Landscape();
        var png = scene.Png();

        var positive = await service.SegmentAsync(png, new { text_prompt = "red", boxes_input = $"[{Inside(scene.Red)}]", box_labels_input = "[1]" });
        var negative = await service.SegmentAsync(png, new { text_prompt = "red", boxes_input = $"[{Inside(scene.Red)}]", box_labels_input = "[0]" });

        Assert.Equal("concept", negative["mode"]!.GetValue<string>());
        var mask = Assert.Single(positive["masks"]!.AsArray())!;
        Scene.AssertIoU(Scene.Decode(mask["mask"]!, scene.Width, scene.Height), scene.Width, scene.Red, 0.85);
        Assert.Equal(0, negative["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Concept_PositiveAndNegativeExemplars_FindOnlyThePositiveColour()
    {
        var scene = Scene.Portrait();
        var png = scene.Png();
        var boxes = $"[{Inside(scene.Green)}, {Inside(scene.Blue)}]";

        var both = await service.SegmentAsync(png, new { boxes_input = boxes });
        var greenOnly = await service.SegmentAsync(png, new { boxes_input = boxes, box_labels_input = "[[1, 0]]" });

        // Two positive exemplars: one detection over both colours; with the blue box negative, green alone.
        var union = Scene.Decode(Assert.Single(both["masks"]!.AsArray())!["mask"]!, scene.Width, scene.Height);
        Assert.True(Scene.IoU(union, scene.Width, scene.Blue) > 0.3, "the all-positive request should cover blue as well");
        var green = Scene.Decode(Assert.Single(greenOnly["masks"]!.AsArray())!["mask"]!, scene.Width, scene.Height);
        Scene.AssertIoU(green, scene.Width, scene.Green, 0.85);
        Assert.True(Scene.IoU(green, scene.Width, scene.Blue) < 0.01, "the negative blue exemplar left blue pixels in the mask");
    }

    [Theory]
    [InlineData("landscape", "green")]
    [InlineData("portrait", "blue")]
    public async Task Interactive_Point_SelectsTheRegionUnderIt(string sceneName, string colour)
    {
        var scene = SceneNamed(sceneName);
        var r = scene[colour];
        var output = await service.SegmentAsync(scene.Png(), new { points_input = $"[[{r.MidX}, {r.MidY}]]", point_labels_input = "[[1]]" });
        Assert.Equal("interactive", output["mode"]!.GetValue<string>());
        var mask = Assert.Single(output["masks"]!.AsArray())!;
        Scene.AssertBox(mask["box"]!, r, Tolerance(scene));
        Scene.AssertIoU(Scene.Decode(mask["mask"]!, scene.Width, scene.Height), scene.Width, r, 0.85);
    }

    [Fact]
    public async Task Interactive_ObjectBoxes_OneMaskPerBox()
    {
        var scene = Scene.Landscape();
        string Box(SKRectI r) => $"[{r.Left + 5}, {r.Top + 5}, {r.Right - 5}, {r.Bottom - 5}]";
        var output = await service.SegmentAsync(scene.Png(), new { boxes_input = $"[{Box(scene.Red)}, {Box(scene.Blue)}]", box_mode = "object" });
        Assert.Equal("interactive", output["mode"]!.GetValue<string>());
        var masks = output["masks"]!.AsArray();
        Assert.Equal(2, masks.Count);
        var decoded = masks.Select(m => Scene.Decode(m!["mask"]!, scene.Width, scene.Height)).ToList();
        Assert.True(decoded.Any(d => Scene.IoU(d, scene.Width, scene.Red) > 0.85), $"no mask matches: IoUs {string.Join(", ", decoded.Select(d => Scene.IoU(d, scene.Width, scene.Red).ToString("F2")))}");
        Assert.True(decoded.Any(d => Scene.IoU(d, scene.Width, scene.Blue) > 0.85), $"no mask matches: IoUs {string.Join(", ", decoded.Select(d => Scene.IoU(d, scene.Width, scene.Blue).ToString("F2")))}");
    }

    [Fact]
    public async Task Automatic_FindsEachColourRegion_AndMaxMasksCaps()
    {
        var scene = Scene.Landscape();
        var output = await service.SegmentAsync(scene.Png(), new { points_per_side = 12, pred_iou_thresh = 0.5 });
        Assert.Equal("automatic", output["mode"]!.GetValue<string>());
        var decoded = output["masks"]!.AsArray().Select(m => Scene.Decode(m!["mask"]!, scene.Width, scene.Height)).ToList();
        foreach (var rect in new[] { scene.Red, scene.Green, scene.Blue })
        {
            Assert.True(decoded.Any(d => Scene.IoU(d, scene.Width, rect) > 0.85), $"no mask matches: IoUs {string.Join(", ", decoded.Select(d => Scene.IoU(d, scene.Width, rect).ToString("F2")))}");
        }

        var capped = await service.SegmentAsync(scene.Png(), new { points_per_side = 12, pred_iou_thresh = 0.5, max_masks = 2 });
        Assert.Equal(2, capped["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Concept_ExifRotatedJpeg_MaskFollowsTheDisplayedOrientation()
    {
        var scene = Scene.Landscape();
        using var bitmap = scene.Draw();
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        var jpeg = WithExifOrientation(data.ToArray(), orientation: 6);

        var output = await service.SegmentAsync(jpeg, new { text_prompt = "red" });

        // Orientation 6: the stored image is shown turned 90° clockwise, so (x, y) is displayed at (H - 1 - y, x).
        Assert.Equal(scene.Height, output["width"]!.GetValue<int>());
        Assert.Equal(scene.Width, output["height"]!.GetValue<int>());
        var r = scene.Red;
        var displayed = new SKRectI(scene.Height - r.Bottom, r.Left, scene.Height - r.Top, r.Right);
        var mask = Assert.Single(output["masks"]!.AsArray())!;
        var pixels = Scene.Decode(mask["mask"]!, scene.Height, scene.Width);
        Scene.AssertIoU(pixels, scene.Height, displayed, 0.8);
    }

    [Theory]
    [InlineData("truck.jpg")]
    [InlineData("groceries.jpg")]
    [InlineData("test_image.jpg")]
    [InlineData("oven.jpg")]
    [InlineData("bus.jpg")]
    [InlineData("dog.jpg")]
    [InlineData("cat.png")]
    public async Task Photos_EveryMode_MasksInsideTheImageAndOnTheirColour(string name)
    {
        var bytes = await File.ReadAllBytesAsync(SharedPaths.Image(name));
        using var original = SKBitmap.Decode(bytes);

        var concept = await service.SegmentAsync(bytes, new { text_prompt = "red" });
        var width = concept["width"]!.GetValue<int>();
        var height = concept["height"]!.GetValue<int>();
        Assert.Equal((original.Width, original.Height), (width, height));
        // The fixture's rule for "red" (R above mid-grey, G and B below), decided per cell of its 126x126 mask grid
        // on an antialiased downscale. So every pixel of a "red" mask must lie within about one cell of a pixel that passes it.
        var near = NearRule(original, rx: (int)Math.Ceiling(1.5 * width / 126.0), ry: (int)Math.Ceiling(1.5 * height / 126.0));
        foreach (var mask in concept["masks"]!.AsArray())
        {
            AssertBoxInside(mask!["box"]!, width, height);
            var pixels = Scene.Decode(mask["mask"]!, width, height);
            long close = 0, total = 0;
            for (var i = 0; i < pixels.Length; i++)
            {
                if (pixels[i] == 0) continue;
                total++;
                if (near(i % width, i / width)) close++;
            }
            Assert.True(close >= 0.95 * total, $"{name}: only {close} of {total} mask pixels are near a red pixel");
        }

        var automatic = await service.SegmentAsync(bytes, new { points_per_side = 4, pred_iou_thresh = 0.5 });
        Assert.Equal((width, height), (automatic["width"]!.GetValue<int>(), automatic["height"]!.GetValue<int>()));
        foreach (var mask in automatic["masks"]!.AsArray())
        {
            AssertBoxInside(mask!["box"]!, width, height);
            Assert.True(mask["area"]!.GetValue<long>() > 0);
        }

        var point = await service.SegmentAsync(bytes, new { points_input = $"[[{width / 2}, {height / 2}]]" });
        Assert.Equal("interactive", point["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task FeatureCache_SecondPromptOnSameImage_SkipsTheVisionEncoder()
    {
        var scene = Scene.Portrait();
        var png = scene.Png();
        await service.SegmentAsync(png, new { text_prompt = "red" });
        var encoderRuns = service.Engine.Counters.VisionEncoderRuns;
        var hits = service.Engine.Counters.ImageCacheHits;

        await service.SegmentAsync(png, new { text_prompt = "green" });

        Assert.Equal(encoderRuns, service.Engine.Counters.VisionEncoderRuns);
        Assert.Equal(hits + 1, service.Engine.Counters.ImageCacheHits);
    }

    /// <summary>The fixture's colour evidence for red is positive above mid-grey in R and below it in G and B.</summary>
    private static bool IsRed(SKColor c) => c.Red > 128 && c.Green < 127 && c.Blue < 127;

    /// <summary>A test "is a red pixel within rx, ry of (x, y)", from an integral image of the red pixels.</summary>
    private static Func<int, int, bool> NearRule(SKBitmap image, int rx, int ry)
    {
        int w = image.Width, h = image.Height;
        var sum = new int[(w + 1) * (h + 1)];
        for (var y = 0; y < h; y++)
        {
            var row = 0;
            for (var x = 0; x < w; x++)
            {
                row += IsRed(image.GetPixel(x, y)) ? 1 : 0;
                sum[(y + 1) * (w + 1) + x + 1] = sum[y * (w + 1) + x + 1] + row;
            }
        }
        return (x, y) =>
        {
            int x0 = Math.Max(0, x - rx), y0 = Math.Max(0, y - ry), x1 = Math.Min(w, x + rx + 1), y1 = Math.Min(h, y + ry + 1);
            return sum[y1 * (w + 1) + x1] - sum[y0 * (w + 1) + x1] - sum[y1 * (w + 1) + x0] + sum[y0 * (w + 1) + x0] > 0;
        };
    }

    private static void AssertBoxInside(JsonNode box, int width, int height)
    {
        var b = box.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.True(b[0] >= -1 && b[1] >= -1 && b[2] <= width + 1 && b[3] <= height + 1 && b[2] > b[0] && b[3] > b[1], $"box [{string.Join(", ", b)}] in {width}x{height}");
    }

    /// <summary>Inserts an APP1 Exif segment with one Orientation entry right after the JPEG's SOI marker.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        var tiff = new byte[8 + 2 + 12 + 4];
        "MM"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(8), 1);              // one IFD entry
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(10), 0x0112);        // Orientation
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(12), 3);             // SHORT
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(14), 1);             // count
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(18), orientation);
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }
}
