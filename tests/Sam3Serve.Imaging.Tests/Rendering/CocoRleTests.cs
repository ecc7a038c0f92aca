using Sam3Serve.Imaging.Rendering;
using Xunit;

namespace Sam3Serve.Imaging.Tests.Rendering;

public sealed class CocoRleTests
{
    [Fact]
    public void Encode_ThreeByThree_UsesColumnMajorRuns()
    {
        // Rows: 0 1 1 / 0 1 0 / 1 1 0. Column by column: 0 0 1 | 1 1 1 | 1 0 0, i.e. runs 2, 5, 2.
        byte[] mask = [0, 1, 1, 0, 1, 0, 1, 1, 0];

        Assert.Equal("252", CocoRle.Encode(mask, 3, 3));
    }

    [Fact]
    public void Encode_FourthCountOnward_StoresDifferenceFromTwoBefore()
    {
        // One column of 10: runs 1, 2, 3, 4; the fourth is written as 4 - 2 = 2.
        byte[] mask = [0, 1, 1, 0, 0, 0, 1, 1, 1, 1];

        Assert.Equal("1232", CocoRle.Encode(mask, 1, 10));
    }

    [Fact]
    public void Encode_NegativeDifference_SetsSignBit()
    {
        // Runs 0, 5, 1, 1: the mask starts inside, so the first (zero) run is empty; 1 - 5 = -4 is 0b11100 in one group.
        byte[] mask = [1, 1, 1, 1, 1, 0, 1];

        Assert.Equal("051L", CocoRle.Encode(mask, 1, 7));
    }

    [Fact]
    public void Encode_LongRun_UsesContinuationGroups()
    {
        // 100 = 3 * 32 + 4: low group 4 with the continuation bit ('0' + 36 = 'T'), then 3.
        var mask = new byte[100];

        Assert.Equal("T3", CocoRle.Encode(mask, 10, 10));
    }

    [Theory]
    [InlineData("252", 3, 3, new byte[] { 0, 1, 1, 0, 1, 0, 1, 1, 0 })]
    [InlineData("051L", 1, 7, new byte[] { 1, 1, 1, 1, 1, 0, 1 })]
    [InlineData("1232", 1, 10, new byte[] { 0, 1, 1, 0, 0, 0, 1, 1, 1, 1 })]
    public void Decode_KnownStrings_GiveRowMajorMask(string counts, int width, int height, byte[] expected)
    {
        Assert.Equal(expected, CocoRle.Decode(counts, width, height));
    }

    [Theory]
    [InlineData(1, 1, 0.5, 1)]
    [InlineData(17, 9, 0.0, 2)]
    [InlineData(17, 9, 1.0, 3)]
    [InlineData(64, 48, 0.5, 4)]
    [InlineData(33, 70, 0.05, 5)]
    [InlineData(33, 70, 0.95, 6)]
    [InlineData(300, 200, 0.3, 7)]
    public void EncodeDecode_RandomMask_RoundTrips(int width, int height, double density, int seed)
    {
        var random = new Random(seed);
        var mask = new byte[width * height];
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = random.NextDouble() < density ? (byte)1 : (byte)0;
        }

        var counts = CocoRle.Encode(mask, width, height);

        Assert.Equal(mask, CocoRle.Decode(counts, width, height));
    }

    [Fact]
    public void EncodeDecode_BlobsWithLongRuns_RoundTrips()
    {
        const int width = 500, height = 400;
        var mask = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var inCircle = ((x - 200) * (x - 200)) + ((y - 180) * (y - 180)) < 120 * 120;
                var inBar = x is > 420 and < 470;
                mask[(y * width) + x] = inCircle || inBar ? (byte)1 : (byte)0;
            }
        }

        var counts = CocoRle.Encode(mask, width, height);

        Assert.Equal(mask, CocoRle.Decode(counts, width, height));
        Assert.True(counts.Length < 5000, $"{counts.Length} characters");
    }

    [Fact]
    public void Encode_NonBinaryValues_CountAsInside()
    {
        byte[] ones = [0, 1, 1, 0, 1, 0, 1, 1, 0];
        byte[] other = [0, 255, 7, 0, 1, 0, 2, 9, 0];

        Assert.Equal(CocoRle.Encode(ones, 3, 3), CocoRle.Encode(other, 3, 3));
    }

    [Theory]
    [InlineData("25")]
    [InlineData("2522")]
    [InlineData("2 5")]
    [InlineData("2c")]
    public void Decode_Malformed_ThrowsFormatException(string counts)
    {
        Assert.Throws<FormatException>(() => CocoRle.Decode(counts, 3, 3));
    }
}
