using System.Security.Cryptography;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine.Preprocessing;
using Sam3Serve.Tests.Common;
using SkiaSharp;
using Xunit;

namespace Sam3Serve.Engine.Tests.Preprocessing;

public sealed class PreprocessTests
{
    [Fact]
    public void ToNchw_Downscale4To2_UsesTruncatedTriangleWeights()
    {
        // Columns 10, 50, 90, 130 in every row. Output 0 is centred on input 1.0 with support 2: taps 0, 1, 2 get
        // weights 0.75, 0.75, 0.25 (tap −1 lies outside), so (7.5 + 37.5 + 22.5) / 1.75 = 38.57 → 39. Output 1:
        // taps 1, 2, 3 with 0.25, 0.75, 0.75 → (12.5 + 67.5 + 97.5) / 1.75 = 101.43 → 101. Same as PIL.
        var columns = new byte[] { 10, 50, 90, 130 };
        var pixels = new byte[4 * 4 * 3];
        for (var i = 0; i < 16; i++)
        {
            pixels.AsSpan(i * 3, 3).Fill(columns[i % 4]);
        }

        var result = Run(new RgbImage(4, 4, pixels), 2, 2);

        Assert.Equal(new byte[] { 39, 39, 39, 101, 101, 101, 39, 39, 39, 101, 101, 101 }, result);
    }

    [Fact]
    public void ToNchw_Upscale2To4_InterpolatesAtPixelCentres()
    {
        // Output centres sit at 0.25, 0.75, 1.25, 1.75 in input pixels; input centres at 0.5 and 1.5. The edges
        // see only one input, the middle two mix 3:1 and 1:3: R 0,200 → 0, 50, 150, 200.
        var image = new RgbImage(2, 1, [0, 0, 0, 200, 100, 4]);

        var result = Run(image, 4, 1);

        Assert.Equal(new byte[] { 0, 0, 0, 50, 25, 1, 150, 75, 3, 200, 100, 4 }, result);
    }

    [Theory]
    [InlineData(37, 23, 16, 40)]
    [InlineData(300, 200, 1008, 1008)]
    [InlineData(5, 5, 5, 5)]
    public void ToNchw_ConstantImage_StaysConstant(int width, int height, int outWidth, int outHeight)
    {
        var pixels = new byte[width * height * 3];
        for (var i = 0; i < width * height; i++)
        {
            pixels[i * 3] = 10;
            pixels[(i * 3) + 1] = 128;
            pixels[(i * 3) + 2] = 250;
        }

        var result = Run(new RgbImage(width, height, pixels), outWidth, outHeight);

        var expected = new byte[outWidth * outHeight * 3];
        for (var i = 0; i < outWidth * outHeight; i++)
        {
            expected[i * 3] = 10;
            expected[(i * 3) + 1] = 128;
            expected[(i * 3) + 2] = 250;
        }
        Assert.True(expected.AsSpan().SequenceEqual(result), "a constant image must stay constant");
    }

    [Theory]
    [InlineData(0, -1f)]
    [InlineData(255, 1f)]
    [InlineData(51, -0.6f)]
    [InlineData(204, 0.6f)]
    public void ToNchw_Value_ScalesToMinusOneToOne(byte value, float expected)
    {
        var image = new RgbImage(1, 1, [value, value, value]);
        var output = new float[3];

        ImagePreprocessor.ToNchw(image, 1, 1, output);

        Assert.All(output, v => Assert.Equal(expected, v, 1e-6f));
    }

    [Fact]
    public void ToNchw_Channels_AreWrittenAsSeparatePlanes()
    {
        var image = new RgbImage(2, 1, [255, 0, 0, 0, 255, 255]);
        var output = new float[6];

        ImagePreprocessor.ToNchw(image, 2, 1, output);

        Assert.Equal([1f, -1f, -1f, 1f, -1f, 1f], output);
    }

    // Expected bytes come from Pillow 9.4 Image.resize(size, Image.BILINEAR) on the same pattern image.
    [Theory]
    [InlineData(5, 3, new byte[] { 39, 130, 187, 103, 120, 116, 157, 114, 111, 121, 106, 136, 131, 107, 98, 103, 141, 148, 142, 129, 121, 143, 147, 147, 142, 102, 141, 110, 166, 80, 108, 121, 114, 137, 152, 136, 145, 127, 120, 141, 177, 87, 155, 140, 101 })]
    [InlineData(11, 3, new byte[] { 11, 112, 213, 43, 144, 190, 89, 135, 126, 94, 85, 95, 168, 159, 114, 146, 101, 92, 193, 93, 139, 53, 154, 163, 183, 28, 129, 70, 171, 16, 173, 73, 174, 39, 140, 226, 133, 159, 94, 166, 101, 112, 107, 133, 128, 183, 148, 129, 137, 163, 143, 120, 131, 172, 148, 83, 169, 159, 79, 105, 109, 210, 55, 88, 159, 94, 67, 168, 68, 132, 68, 169, 137, 147, 83, 120, 166, 176, 172, 163, 118, 128, 119, 129, 153, 90, 99, 137, 183, 83, 135, 236, 81, 148, 157, 94, 174, 74, 120 })]
    [InlineData(4, 7, new byte[] { 15, 116, 194, 102, 144, 91, 172, 106, 118, 128, 96, 74, 62, 139, 178, 161, 96, 112, 126, 95, 144, 142, 110, 111, 84, 124, 125, 114, 130, 132, 114, 130, 132, 84, 124, 125, 130, 170, 148, 173, 155, 132, 140, 118, 167, 122, 137, 68, 115, 93, 132, 125, 137, 118, 163, 110, 156, 135, 213, 81, 138, 139, 107, 159, 115, 177, 163, 124, 109, 149, 179, 95, 84, 124, 130, 133, 195, 83, 105, 201, 51, 163, 93, 109 })]
    public void ToNchw_PatternImage_MatchesPillowBilinear(int width, int height, byte[] expected)
    {
        var result = Run(PreprocessTestImages.Pattern(11, 7), width, height);

        Assert.Equal(expected, result);
    }

    [Fact]
    public void ToNchw_PatternImageUpAndDown_MatchesPillowBilinear()
    {
        byte[] expected = [7, 108, 209, 17, 118, 213, 33, 133, 210, 57, 148, 162, 80, 129, 111, 107, 98, 65, 149, 140, 98, 156, 134, 102, 136, 91, 82, 188, 79, 134, 172, 101, 153, 75, 162, 136, 137, 87, 133, 158, 63, 104, 79, 150, 25, 136, 108, 89, 200, 58, 159, 27, 128, 229, 59, 160, 164, 104, 181, 95, 156, 101, 114, 131, 90, 131, 73, 118, 144, 144, 143, 129, 176, 150, 122, 176, 144, 122, 132, 153, 125, 99, 143, 150, 77, 108, 201, 131, 51, 152, 151, 56, 97, 101, 172, 47, 87, 160, 103, 81, 131, 160, 51, 152, 202, 108, 122, 162, 166, 96, 112, 134, 137, 80, 133, 137, 100, 150, 118, 144, 169, 143, 130, 150, 153, 142, 98, 148, 177, 142, 105, 181, 172, 83, 169, 185, 83, 135, 164, 139, 110, 143, 189, 89, 128, 221, 74, 121, 194, 67, 116, 166, 62, 71, 172, 29, 86, 130, 102, 110, 88, 174, 147, 117, 124, 141, 157, 132, 114, 197, 164, 154, 174, 133, 160, 151, 110, 138, 129, 96, 133, 116, 83, 128, 140, 74, 124, 206, 70, 129, 225, 75, 137, 206, 83, 151, 134, 97, 173, 81, 119, 189, 47, 135];

        var result = Run(PreprocessTestImages.Pattern(11, 7), 17, 4);

        Assert.Equal(expected, result);
    }

    [Fact]
    public void ToNchw_TruckPhotoTo1008_MatchesPillowBitForBit()
    {
        var image = PreprocessTestImages.Decode(SharedPaths.Image("truck.jpg"));
        Assert.Equal((1800, 1200), (image.Width, image.Height));
        // The golden below was made by Pillow from exactly these decoded pixels; a different JPEG decoder
        // output would make the comparison meaningless, so check the input first.
        Assert.Equal("1cbb6e2115d8fdc1867cfdea972fad51506bd1c7f55c17065f264c1b3bee6ee3", Sha256(image.Pixels));
        var output = new float[3 * 1008 * 1008];

        ImagePreprocessor.ToNchw(image, 1008, 1008, output);

        Assert.All(output, v => Assert.InRange(v, -1f, 1f));
        var bytes = PreprocessTestImages.ToInterleavedBytes(output, 1008, 1008);
        Assert.Equal("eb0c50facb2352358165deeaf5ae8d1d853d5275aa5e8fab91c012f0c33a7847", Sha256(bytes));
    }

    [Theory]
    [InlineData(1800, 1200, 1008, 1008)]
    [InlineData(1800, 1200, 640, 1200)]
    [InlineData(1800, 1200, 1800, 700)]
    [InlineData(1800, 1200, 2000, 1500)]
    public void ToNchw_ScalarLoops_MatchVectorLoops(int width, int height, int outWidth, int outHeight)
    {
        var image = new RgbImage(width, height, new byte[width * height * 3]);
        new Random(3).NextBytes(image.Pixels);
        var vector = Run(image, outWidth, outHeight);

        byte[] scalar;
        AppContext.SetSwitch(ImagePreprocessor.DisableSimdSwitch, true);
        try
        {
            scalar = Run(image, outWidth, outHeight);
        }
        finally
        {
            AppContext.SetSwitch(ImagePreprocessor.DisableSimdSwitch, false);
        }

        Assert.True(vector.AsSpan().SequenceEqual(scalar), "SIMD and scalar resampling must agree bit for bit");
    }

    [Fact]
    public void ToNchw_DestinationTooSmall_Throws()
    {
        var image = PreprocessTestImages.Pattern(4, 4);

        Assert.Throws<ArgumentException>(() => ImagePreprocessor.ToNchw(image, 2, 2, new float[11]));
    }

    [Fact]
    public async Task ToNchw_ConcurrentCalls_ProduceIdenticalOutput()
    {
        var image = PreprocessTestImages.Pattern(640, 480);
        var expected = Run(image, 300, 200);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => Run(image, 300, 200), TestContext.Current.CancellationToken)));

        Assert.All(results, r => Assert.Equal(expected, r));
    }

    private static byte[] Run(RgbImage image, int width, int height)
    {
        var output = new float[3 * width * height];
        ImagePreprocessor.ToNchw(image, width, height, output);
        return PreprocessTestImages.ToInterleavedBytes(output, width, height);
    }

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
}

/// <summary>Images for the preprocessing tests and the inverse of the [−1, 1] scaling.</summary>
internal static class PreprocessTestImages
{
    /// <summary>A deterministic patterned image: channel c of (x, y) is (7x² + 13y + 101c + 29xy) mod 256.</summary>
    public static RgbImage Pattern(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    pixels[(((y * width) + x) * 3) + c] = (byte)(((x * x * 7) + (y * 13) + (c * 101) + (x * y * 29)) % 256);
                }
            }
        }
        return new RgbImage(width, height, pixels);
    }

    /// <summary>Decodes a file to RGB with SkiaSharp (no alpha premultiplication).</summary>
    public static RgbImage Decode(string path)
    {
        using var codec = SKCodec.Create(path) ?? throw new InvalidDataException($"cannot decode {path}");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not SKCodecResult.Success and not SKCodecResult.IncompleteInput)
        {
            throw new InvalidDataException($"decoding {path}: {result}");
        }
        var rgba = bitmap.GetPixelSpan();
        var rgb = new byte[info.Width * info.Height * 3];
        for (var i = 0; i < info.Width * info.Height; i++)
        {
            rgb[i * 3] = rgba[i * 4];
            rgb[(i * 3) + 1] = rgba[(i * 4) + 1];
            rgb[(i * 3) + 2] = rgba[(i * 4) + 2];
        }
        return new RgbImage(info.Width, info.Height, rgb);
    }

    /// <summary>Planar [−1, 1] floats back to interleaved 8-bit RGB.</summary>
    public static byte[] ToInterleavedBytes(ReadOnlySpan<float> nchw, int width, int height)
    {
        var plane = width * height;
        var bytes = new byte[plane * 3];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                bytes[(i * 3) + c] = (byte)Math.Round((nchw[(c * plane) + i] + 1f) * 127.5f);
            }
        }
        return bytes;
    }
}
