using Sam3Serve.Contracts.Inference;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Imaging.Tests.Support;
using Sam3Serve.Tests.Common;
using SkiaSharp;
using Xunit;

namespace Sam3Serve.Imaging.Tests.Input;

public sealed class ImageDecoderTests
{
    private const long Limit = 50_000_000;

    [Theory]
    [InlineData("bus.jpg", "jpeg", 810, 1080)]
    [InlineData("cat.png", "png", 927, 688)]
    [InlineData("dog.jpg", "jpeg", 2048, 1365)]
    [InlineData("groceries.jpg", "jpeg", 800, 534)]
    [InlineData("oven.jpg", "jpeg", 332, 500)]
    [InlineData("test_image.jpg", "jpeg", 1280, 720)]
    [InlineData("truck.jpg", "jpeg", 1800, 1200)]
    public void Decode_TestPhoto_HasDocumentedSize(string name, string format, int width, int height)
    {
        var data = File.ReadAllBytes(SharedPaths.Image(name));

        var info = ImageDecoder.Probe(data, Limit);
        var image = ImageDecoder.Decode(data, Limit);

        Assert.Equal(new ImageInfo(format, width, height), info);
        Assert.Equal((width, height), (image.Width, image.Height));
        Assert.Equal(width * height * 3, image.Pixels.Length);
        Assert.True(image.Pixels.AsSpan().IndexOfAnyExcept((byte)0) >= 0, "decoded pixels are all black");
    }

    [Fact]
    public void Decode_PalettePng_MatchesSkiaDecodeEverywhere()
    {
        var data = File.ReadAllBytes(SharedPaths.Image("cat.png"));
        using var reference = SKBitmap.Decode(data);

        var image = ImageDecoder.Decode(data, Limit);

        var mismatches = 0;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var c = reference.GetPixel(x, y);
                var o = ((y * image.Width) + x) * 3;
                // Where the PNG is transparent the decoder composites over black, i.e. premultiplies.
                var expected = (Premultiply(c.Red, c.Alpha), Premultiply(c.Green, c.Alpha), Premultiply(c.Blue, c.Alpha));
                var actual = (image.Pixels[o], image.Pixels[o + 1], image.Pixels[o + 2]);
                if (Math.Abs(expected.Item1 - actual.Item1) > 1 || Math.Abs(expected.Item2 - actual.Item2) > 1
                    || Math.Abs(expected.Item3 - actual.Item3) > 1)
                {
                    mismatches++;
                }
            }
        }
        Assert.Equal(0, mismatches);
        var centre = reference.GetPixel(463, 344);
        Assert.Equal(centre.Red, image.Pixels[((344 * 927) + 463) * 3]);
    }

    [Fact]
    public void Decode_ProgressiveJpeg_MatchesSkiaDecode()
    {
        var data = File.ReadAllBytes(SharedPaths.Image("dog.jpg"));
        using var reference = SKBitmap.Decode(data);

        var image = ImageDecoder.Decode(data, Limit);

        foreach (var (x, y) in new[] { (0, 0), (1024, 682), (2047, 1364), (300, 900) })
        {
            var c = reference.GetPixel(x, y);
            var o = ((y * image.Width) + x) * 3;
            Assert.Equal((c.Red, c.Green, c.Blue), (image.Pixels[o], image.Pixels[o + 1], image.Pixels[o + 2]));
        }
    }

    // Where stored pixel (0, 0) and stored pixel (width-1, 0) appear upright, per the EXIF definition of each
    // orientation ("0th row is at the visual ..., 0th column at the visual ..."). Corners: TL, TR, BR, BL.
    [Theory]
    [InlineData(1, "TL", "TR")]
    [InlineData(2, "TR", "TL")]
    [InlineData(3, "BR", "BL")]
    [InlineData(4, "BL", "BR")]
    [InlineData(5, "TL", "BL")]
    [InlineData(6, "TR", "BR")]
    [InlineData(7, "BR", "TR")]
    [InlineData(8, "BL", "TL")]
    public void Decode_ExifOrientation_RotatesToUpright(int orientation, string redCorner, string greenCorner)
    {
        const int width = 48, height = 24, block = 8;
        using var stored = TestImages.Bitmap(width, height, (x, y) =>
            x < block && y < block ? SKColors.Red
            : x >= width - block && y < block ? SKColors.Lime
            : SKColors.White);
        var jpeg = TestImages.WithExifOrientation(TestImages.Encode(stored, SKEncodedImageFormat.Jpeg), orientation);

        var info = ImageDecoder.Probe(jpeg, Limit);
        var image = ImageDecoder.Decode(jpeg, Limit);

        var swapped = orientation >= 5;
        Assert.Equal(swapped ? (height, width) : (width, height), (info.Width, info.Height));
        Assert.Equal((info.Width, info.Height), (image.Width, image.Height));
        AssertColourNear(image, Corner(image, redCorner, block / 2), (255, 0, 0));
        AssertColourNear(image, Corner(image, greenCorner, block / 2), (0, 255, 0));
        var white = new[] { "TL", "TR", "BR", "BL" }.Except([redCorner, greenCorner]).ToArray();
        Assert.Equal(2, white.Length);
        foreach (var corner in white)
        {
            AssertColourNear(image, Corner(image, corner, block / 2), (255, 255, 255));
        }
    }

    [Theory]
    [InlineData("dog.jpg")]
    [InlineData("cat.png")]
    public void Decode_Photo_AllocatesLittleBeyondTheOutput(string name)
    {
        var data = File.ReadAllBytes(SharedPaths.Image(name));
        ImageDecoder.Decode(data, Limit);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var image = ImageDecoder.Decode(data, Limit);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.InRange(allocated, image.Pixels.Length, image.Pixels.Length + 64 * 1024);
    }

    [Fact]
    public void Decode_ExifOrientation6_MovesTopLeftPixelToTopRight()
    {
        using var stored = TestImages.Bitmap(64, 32, (x, y) => x < 16 && y < 16 ? SKColors.Blue : SKColors.Black);
        var jpeg = TestImages.WithExifOrientation(TestImages.Encode(stored, SKEncodedImageFormat.Jpeg), 6);

        var image = ImageDecoder.Decode(jpeg, Limit);

        Assert.Equal((32, 64), (image.Width, image.Height));
        AssertColourNear(image, (31 - 8, 8), (0, 0, 255));
        AssertColourNear(image, (8, 8), (0, 0, 0));
    }

    [Fact]
    public void Decode_TextFile_ThrowsInvalid()
    {
        var data = "This is a text file, not an image.\n"u8.ToArray();

        var decode = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(data, Limit));
        var probe = Assert.Throws<ImageInputException>(() => ImageDecoder.Probe(data, Limit));

        Assert.Equal(ImageErrorKind.Invalid, decode.Kind);
        Assert.Equal(ImageErrorKind.Invalid, probe.Kind);
        Assert.Contains("not a supported image", decode.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_Empty_ThrowsInvalid()
    {
        var error = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode([], Limit));

        Assert.Equal(ImageErrorKind.Invalid, error.Kind);
    }

    [Fact]
    public void Decode_TruncatedJpeg_ThrowsInvalidTruncated()
    {
        var full = File.ReadAllBytes(SharedPaths.Image("truck.jpg"));
        var half = full[..(full.Length / 2)];

        var error = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(half, Limit));

        Assert.Equal(ImageErrorKind.Invalid, error.Kind);
        Assert.Equal("image data is truncated", error.Message);
    }

    [Fact]
    public void ProbeAndDecode_PngDeclaringHugeSize_ThrowTooLargeWithoutAllocating()
    {
        var png = TestImages.PngDeclaring(100_000, 100_000);
        Assert.True(png.Length < 1000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var probe = Assert.Throws<ImageInputException>(() => ImageDecoder.Probe(png, Limit));
        var decode = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(png, Limit));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ImageErrorKind.TooLarge, probe.Kind);
        Assert.Equal(ImageErrorKind.TooLarge, decode.Kind);
        Assert.Equal(413, decode.StatusCode);
        Assert.Equal("image declares 100000x100000 pixels, over the limit of 50000000", decode.Message);
        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Decode_PixelLimit_IsInclusive()
    {
        using var bitmap = TestImages.Bitmap(10, 10, (_, _) => SKColors.Gray);
        var png = TestImages.Encode(bitmap, SKEncodedImageFormat.Png);

        Assert.Equal(10, ImageDecoder.Decode(png, 100).Width);
        Assert.Equal(ImageErrorKind.TooLarge, Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(png, 99)).Kind);
    }

    [Fact]
    public void Decode_LosslessWebp_ReturnsSamePixels()
    {
        using var bitmap = TestImages.Bitmap(37, 21, Pattern);
        using var pixmap = bitmap.PeekPixels();
        using var lossless = pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100));
        var webp = lossless!.ToArray();

        var info = ImageDecoder.Probe(webp, Limit);
        var image = ImageDecoder.Decode(webp, Limit);

        Assert.Equal(new ImageInfo("webp", 37, 21), info);
        AssertPixelsEqual(image, Pattern);
    }

    [Fact]
    public void Decode_Bmp_ReturnsSamePixels()
    {
        var expected = Image(13, 7, Pattern);
        var bmp = TestImages.Bmp24(expected);

        var info = ImageDecoder.Probe(bmp, Limit);
        var image = ImageDecoder.Decode(bmp, Limit);

        Assert.Equal(new ImageInfo("bmp", 13, 7), info);
        Assert.Equal(expected.Pixels, image.Pixels);
    }

    [Fact]
    public void Decode_Gif_ReturnsPaletteColours()
    {
        (byte, byte, byte)[] palette = [(10, 20, 30), (200, 0, 0), (0, 180, 0), (40, 50, 250)];
        static int Index(int x, int y) => ((x / 2) + y) % 4;
        var gif = TestImages.Gif(9, 5, palette, Index);

        var info = ImageDecoder.Probe(gif, Limit);
        var image = ImageDecoder.Decode(gif, Limit);

        Assert.Equal(new ImageInfo("gif", 9, 5), info);
        AssertPixelsEqual(image, (x, y) =>
        {
            var (r, g, b) = palette[Index(x, y)];
            return new SKColor(r, g, b);
        });
    }

    [Fact]
    public void Decode_AnimatedGif_ReturnsFirstFrame()
    {
        (byte, byte, byte)[] palette = [(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255)];
        var gif = TestImages.Gif(6, 4, palette, (_, _) => 1, (_, _) => 3);

        var image = ImageDecoder.Decode(gif, Limit);

        AssertPixelsEqual(image, (_, _) => SKColors.Red);
    }

    [Fact]
    public void Decode_PngWithAlpha_CompositesOverBlack()
    {
        using var bitmap = TestImages.Bitmap(4, 1, (x, _) => x switch
        {
            0 => new SKColor(200, 100, 50, 255),
            1 => new SKColor(200, 100, 50, 128),
            2 => new SKColor(200, 100, 50, 0),
            _ => new SKColor(255, 255, 255, 64),
        });
        var png = TestImages.Encode(bitmap, SKEncodedImageFormat.Png);

        var image = ImageDecoder.Decode(png, Limit);

        Assert.Equal(new byte[] { 200, 100, 50 }, image.Pixels[0..3]);
        AssertNear(100, image.Pixels[3], 1);
        AssertNear(50, image.Pixels[4], 1);
        AssertNear(25, image.Pixels[5], 1);
        Assert.Equal(new byte[] { 0, 0, 0 }, image.Pixels[6..9]);
        AssertNear(64, image.Pixels[9], 1);
    }

    private static SKColor Pattern(int x, int y) => new((byte)(x * 7), (byte)(y * 11), (byte)((x * y) % 256));

    private static RgbImage Image(int width, int height, Func<int, int, SKColor> colour)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var c = colour(x, y);
                var o = ((y * width) + x) * 3;
                (pixels[o], pixels[o + 1], pixels[o + 2]) = (c.Red, c.Green, c.Blue);
            }
        }
        return new RgbImage(width, height, pixels);
    }

    private static void AssertPixelsEqual(RgbImage image, Func<int, int, SKColor> colour) =>
        Assert.Equal(Image(image.Width, image.Height, colour).Pixels, image.Pixels);

    private static (int X, int Y) Corner(RgbImage image, string corner, int inset) => corner switch
    {
        "TL" => (inset, inset),
        "TR" => (image.Width - 1 - inset, inset),
        "BR" => (image.Width - 1 - inset, image.Height - 1 - inset),
        "BL" => (inset, image.Height - 1 - inset),
        _ => throw new ArgumentOutOfRangeException(nameof(corner)),
    };

    private static void AssertColourNear(RgbImage image, (int X, int Y) at, (int R, int G, int B) expected)
    {
        var o = ((at.Y * image.Width) + at.X) * 3;
        var actual = (image.Pixels[o], image.Pixels[o + 1], image.Pixels[o + 2]);
        Assert.True(
            Math.Abs(actual.Item1 - expected.R) < 48 && Math.Abs(actual.Item2 - expected.G) < 48 && Math.Abs(actual.Item3 - expected.B) < 48,
            $"pixel {at} is {actual}, expected about {expected}");
    }

    private static void AssertNear(int expected, int actual, int tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected}±{tolerance}, got {actual}");

    private static byte Premultiply(byte colour, byte alpha) => (byte)((colour * alpha + 127) / 255);
}
