namespace Sam3Serve.Client.Tests;

/// <summary>COCO compressed RLE and data URIs, decoded by the SDK itself.</summary>
public sealed class MediaDecodingTests
{
    [Fact]
    public void Decode_KnownSmallMask_ReturnsRowMajorPixels()
    {
        // Rows 0110 / 0110 / 0001; column-major runs 3,2,1,2,3,1 encode to "32102O" (the 6th run as difference -1).
        var rle = new Sam3Rle(3, 4, "32102O");

        Assert.Equal([3L, 2, 1, 2, 3, 1], rle.DecodeRuns());
        Assert.Equal([0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1], rle.Decode());
    }

    [Theory]
    [InlineData("U1X1g0", 10, 10, new long[] { 37, 40, 23 })] // runs of two characters each (continuation bit)
    [InlineData("1n02SO", 2, 17, new long[] { 1, 30, 2, 1 })] // a negative difference spanning two characters (-29)
    [InlineData("4", 2, 2, new long[] { 4 })] // empty mask: one run of zeros
    public void Decode_EncodedRuns_MatchesColumnMajorExpansion(string counts, int height, int width, long[] runs)
    {
        var rle = new Sam3Rle(height, width, counts);

        Assert.Equal(runs, rle.DecodeRuns());
        Assert.Equal(ExpandColumnMajor(runs, height, width), rle.Decode());
    }

    [Theory]
    [InlineData("321")] // runs cover 6 of 12 pixels
    [InlineData("321025")] // runs cover more than 12 pixels
    [InlineData("32 0")] // a character below '0'
    [InlineData("U")] // ends in the middle of a number
    public void Decode_InvalidCounts_ThrowsFormatException(string counts)
    {
        Assert.Throws<FormatException>(() => new Sam3Rle(3, 4, counts).Decode());
    }

    [Fact]
    public void DataUri_Base64Png_DecodesMediaTypeAndBytes()
    {
        var uri = Sam3DataUri.Parse("data:image/png;base64,iVBORw0KGgo=");

        Assert.Equal("image/png", uri.MediaType);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], uri.Data);
    }

    [Fact]
    public void DataUri_PercentEncodedWithoutType_DefaultsToTextPlain()
    {
        var uri = Sam3DataUri.Parse("data:,hello%20world");

        Assert.Equal("text/plain", uri.MediaType);
        Assert.Equal("hello world"u8.ToArray(), uri.Data);
    }

    [Theory]
    [InlineData("https://example.com/a.png")]
    [InlineData("data:image/png;base64")]
    [InlineData("data:image/png;base64,@@@")]
    public void DataUri_NotADecodableDataUri_TryParseIsFalse(string text)
    {
        Assert.False(Sam3DataUri.TryParse(text, out var result));
        Assert.Null(result);
        Assert.Throws<FormatException>(() => Sam3DataUri.Parse(text));
    }

    // Independent oracle: walk the runs in column-major order and place each pixel at its row-major index.
    private static byte[] ExpandColumnMajor(long[] runs, int height, int width)
    {
        var pixels = new byte[height * width];
        var position = 0;
        for (var r = 0; r < runs.Length; r++)
        {
            for (var k = 0; k < runs[r]; k++, position++)
            {
                int column = position / height, row = position % height;
                pixels[row * width + column] = (byte)(r % 2);
            }
        }
        return pixels;
    }
}
