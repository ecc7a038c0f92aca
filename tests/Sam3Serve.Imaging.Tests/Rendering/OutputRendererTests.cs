using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Imaging.Rendering;
using Sam3Serve.Imaging.Tests.Support;
using Xunit;
using static Sam3Serve.Imaging.Tests.Rendering.RenderingFixtures;

namespace Sam3Serve.Imaging.Tests.Rendering;

public sealed class OutputRendererTests
{
    [Fact]
    public void Render_ThreeObjects_FillsOutputObject()
    {
        var masks = new[] { Rectangle(2, 3, 12, 9), LShape(), Ring() };

        var rendered = OutputRenderer.Render(Result(masks), Image(), Request(mode: SegmentationMode.Automatic));

        var output = rendered.Output;
        Assert.Equal((Width, Height, "automatic", 3), (output.Width, output.Height, output.Mode, output.Count));
        Assert.Equal("preview.png", output.Preview);
        Assert.Null(output.Overlay);
        for (var i = 0; i < 3; i++)
        {
            var entry = output.Masks[i];
            Assert.Equal(i, entry.Index);
            Assert.Equal(i % 2, entry.PromptIndex);
            Assert.Equal(CountInside(masks[i]), entry.Area);
            Assert.Null(entry.Mask);
        }
        Assert.Equal(60, output.Masks[0].Area);
        Assert.Equal([0.9, 0.8, 0.7], output.Masks.Select(m => m.Score));
        Assert.Equal([1, 1.5, 11, 21], output.Masks[1].Box);
        Assert.Equal(["preview.png"], rendered.Media.Select(m => m.Name));
    }

    [Fact]
    public void Render_Box_RoundsToTwoDecimals()
    {
        var result = Result(Rectangle(0, 0, 5, 5));
        var detected = result.Objects[0] with { Box = [1.23456f, 2.345678f, 70.999f, 49.004f] };

        var rendered = OutputRenderer.Render(result with { Objects = [detected] }, Image(), Request());

        Assert.Equal([1.23, 2.35, 71, 49], rendered.Output.Masks[0].Box);
    }

    [Theory]
    [InlineData(SegmentationMode.Concept, "concept")]
    [InlineData(SegmentationMode.Interactive, "interactive")]
    [InlineData(SegmentationMode.Automatic, "automatic")]
    public void Render_Mode_IsLowerCase(SegmentationMode mode, string expected)
    {
        var rendered = OutputRenderer.Render(Result(), Image(), Request(mode: mode));

        Assert.Equal(expected, rendered.Output.Mode);
    }

    [Fact]
    public void Render_Preview_PaintsIndexPlusOneWithLaterObjectsOnTop()
    {
        var first = Rectangle(0, 0, 40, 30);
        var second = Rectangle(20, 10, 60, 40);
        var third = Rectangle(50, 35, 80, 50);

        var rendered = OutputRenderer.Render(Result(first, second, third), Image(), Request());

        var preview = Pngs.DecodeGray(Media(rendered, "preview.png"), out var w, out var h);
        Assert.Equal((Width, Height), (w, h));
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var expected = third.Contains(x, y) ? 3 : second.Contains(x, y) ? 2 : first.Contains(x, y) ? 1 : 0;
                Assert.Equal(expected, preview[(y * Width) + x]);
            }
        }
    }

    [Fact]
    public void Render_PreviewOfOneObject_Paints255OnZero()
    {
        var only = LShape();

        var rendered = OutputRenderer.Render(Result(only), Image(), Request());

        var preview = Pngs.DecodeGray(Media(rendered, "preview.png"), out _, out _);
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                Assert.Equal(only.Contains(x, y) ? 255 : 0, preview[(y * Width) + x]);
            }
        }
    }

    [Fact]
    public void Render_NoPreviewAsked_ProducesNoPreview()
    {
        var rendered = OutputRenderer.Render(Result(Ring()), Image(), Request(preview: false));

        Assert.Null(rendered.Output.Preview);
        Assert.Empty(rendered.Media);
    }

    [Fact]
    public void Render_Overlay_ChangesOnlyPixelsInOrNextToMasks()
    {
        var masks = new[] { Rectangle(2, 3, 20, 15), Ring() };
        var image = Image();

        var rendered = OutputRenderer.Render(Result(masks), image, Request(preview: false, overlay: true));

        Assert.Equal("overlay.png", rendered.Output.Overlay);
        var overlay = Pngs.DecodeRgb(Media(rendered, "overlay.png"), out var w, out var h);
        Assert.Equal((Width, Height), (w, h));
        var changedInside = 0;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var o = ((y * Width) + x) * 3;
                var changed = overlay[o] != image.Pixels[o] || overlay[o + 1] != image.Pixels[o + 1] || overlay[o + 2] != image.Pixels[o + 2];
                var near = masks.Any(m => NearMask(m, x, y, 1));
                if (changed)
                {
                    Assert.True(near, $"pixel ({x}, {y}) changed far from every mask");
                }
                if (masks.Any(m => m.Contains(x, y)))
                {
                    changedInside += changed ? 1 : 0;
                }
            }
        }
        Assert.Equal(masks.Sum(CountInside), changedInside);
    }

    [Fact]
    public void Render_Overlay_TintsEachObjectInItsOwnColour()
    {
        var left = Rectangle(5, 5, 30, 40);
        var right = Rectangle(45, 5, 75, 40);
        var flat = new RgbImage(Width, Height, Enumerable.Repeat((byte)128, Width * Height * 3).ToArray());

        var rendered = OutputRenderer.Render(Result(left, right), flat, Request(preview: false, overlay: true));

        var overlay = Pngs.DecodeRgb(Media(rendered, "overlay.png"), out _, out _);
        var a = Pixel(overlay, 15, 20);
        var b = Pixel(overlay, 60, 20);
        Assert.NotEqual(a, b);
        Assert.NotEqual((128, 128, 128), a);
        Assert.Equal(Pixel(overlay, 16, 22), a);
        // The outline is solid: at the rectangle's left edge the colour is stronger than the half-blend inside.
        var edge = Pixel(overlay, 5, 20);
        Assert.True(Distance(edge, (128, 128, 128)) > Distance(a, (128, 128, 128)));
    }

    [Fact]
    public void Render_PngMasks_DecodeBackToTheSamePixels()
    {
        var masks = new[] { Rectangle(2, 3, 12, 9), LShape(), Ring() };

        var rendered = OutputRenderer.Render(Result(masks), Image(), Request(masks: true));

        Assert.Equal(["preview.png", "mask-0.png", "mask-1.png", "mask-2.png"], rendered.Media.Select(m => m.Name));
        for (var i = 0; i < masks.Length; i++)
        {
            var node = rendered.Output.Masks[i].Mask;
            Assert.Equal($"mask-{i}.png", node!.GetValue<string>());
            var pixels = Pngs.DecodeGray(Media(rendered, $"mask-{i}.png"), out var w, out var h);
            Assert.Equal((Width, Height), (w, h));
            for (var y = 0; y < Height; y++)
            {
                for (var x = 0; x < Width; x++)
                {
                    Assert.Equal(masks[i].Contains(x, y) ? 255 : 0, pixels[(y * Width) + x]);
                }
            }
        }
    }

    [Fact]
    public void Render_RleMasks_DecodeBackToTheSamePixels()
    {
        var masks = new[] { LShape(), Ring() };

        var rendered = OutputRenderer.Render(Result(masks), Image(), Request(preview: false, masks: true, format: MaskFormat.Rle));

        Assert.Empty(rendered.Media);
        for (var i = 0; i < masks.Length; i++)
        {
            var rle = Assert.IsType<JsonObject>(rendered.Output.Masks[i].Mask);
            Assert.Equal("[50,80]", rle["size"]!.ToJsonString());
            var decoded = CocoRle.Decode(rle["counts"]!.GetValue<string>(), Width, Height);
            Assert.Equal(Expected(masks[i]), decoded);
        }
    }

    [Fact]
    public void Render_OutputObject_SerialisesWithContractNames()
    {
        var rendered = OutputRenderer.Render(Result(Ring()), Image(), Request(masks: true, format: MaskFormat.Rle));

        var json = JsonNode.Parse(JsonSerializer.Serialize(rendered.Output))!;

        Assert.Equal(1, json["count"]!.GetValue<int>());
        Assert.Equal("preview.png", json["preview"]!.GetValue<string>());
        Assert.NotNull(json["masks"]![0]!["mask"]!["counts"]);
        Assert.Equal(0.9, json["masks"]![0]!["score"]!.GetValue<double>());
    }

    [Fact]
    public void Render_Masks_AreFilledOneAfterAnotherRowByRow()
    {
        var log = new List<(int Mask, int Row)>();
        var masks = Enumerable.Range(0, 4)
            .Select(i => new PredicateMask(Width, Height, (x, y) => x > i * 10 && y > i, log, i))
            .ToArray();

        OutputRenderer.Render(Result(masks), Image(), Request(overlay: true, masks: true, format: MaskFormat.Polygon));

        var expected = Enumerable.Range(0, 4).SelectMany(i => Enumerable.Range(0, Height).Select(y => (i, y)));
        Assert.Equal(expected, log);
    }

    [Theory]
    [InlineData(MaskFormat.Rle)]
    [InlineData(MaskFormat.Polygon)]
    [InlineData(MaskFormat.Png)]
    public void Render_ManyMasks_HoldsOneMaskBufferAtATime(MaskFormat format)
    {
        const int width = 1200, height = 900, count = 12;
        var image = new RgbImage(width, height, new byte[width * height * 3]);
        var masks = Enumerable.Range(0, count)
            .Select(i => (IObjectMask)PredicateMask.Rectangle(width, height, 50 * i, 30 * i, 300 + (50 * i), 200 + (30 * i)))
            .ToArray();
        var request = Request(preview: true, masks: true, format: format);
        OutputRenderer.Render(Result(masks), image, request);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var rendered = OutputRenderer.Render(Result(masks), image, request);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The full-size mask buffer and preview come from the shared pool (warmed by the first render), so what
        // is allocated is the output itself (PNGs, strings, JSON): less than even one full-size buffer more.
        var media = rendered.Media.Sum(m => (long)m.Content.Length);
        Assert.Equal(count, rendered.Output.Count);
        Assert.InRange(allocated, media, (2 * media) + (512 * 1024));
        Assert.True(allocated < (long)width * height + media, $"allocated {allocated} bytes: a full-size buffer was not pooled");
    }

    [Fact]
    public void Render_MaskOfOtherSize_Throws()
    {
        var wrong = PredicateMask.Rectangle(Height, Width, 0, 0, 5, 5);

        Assert.Throws<ArgumentException>(() => OutputRenderer.Render(Result(wrong), Image(), Request()));
    }

    [Fact]
    public void Render_NoObjects_GivesEmptyPreview()
    {
        var rendered = OutputRenderer.Render(Result(), Image(), Request());

        Assert.Empty(rendered.Output.Masks);
        var preview = Pngs.DecodeGray(Media(rendered, "preview.png"), out _, out _);
        Assert.All(preview, v => Assert.Equal(0, v));
    }

    internal static long CountInside(PredicateMask mask)
    {
        long n = 0;
        for (var y = 0; y < mask.Height; y++)
        {
            for (var x = 0; x < mask.Width; x++)
            {
                n += mask.Contains(x, y) ? 1 : 0;
            }
        }
        return n;
    }

    private static byte[] Expected(PredicateMask mask)
    {
        var bytes = new byte[mask.Width * mask.Height];
        for (var y = 0; y < mask.Height; y++)
        {
            for (var x = 0; x < mask.Width; x++)
            {
                bytes[(y * mask.Width) + x] = mask.Contains(x, y) ? (byte)1 : (byte)0;
            }
        }
        return bytes;
    }

    private static byte[] Media(RenderedOutput rendered, string name) => Assert.Single(rendered.Media, m => m.Name == name).Content;

    private static bool NearMask(PredicateMask mask, int x, int y, int distance)
    {
        for (var dy = -distance; dy <= distance; dy++)
        {
            for (var dx = -distance; dx <= distance; dx++)
            {
                if (mask.Contains(x + dx, y + dy))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static (int R, int G, int B) Pixel(byte[] rgb, int x, int y)
    {
        var o = ((y * Width) + x) * 3;
        return (rgb[o], rgb[o + 1], rgb[o + 2]);
    }

    private static double Distance((int R, int G, int B) a, (int R, int G, int B) b) =>
        Math.Sqrt(Math.Pow(a.R - b.R, 2) + Math.Pow(a.G - b.G, 2) + Math.Pow(a.B - b.B, 2));
}
