using System.Text.Json.Nodes;

namespace Sam3Serve.Reference.Tests;

/// <summary>
/// The reference's mask encodings: COCO RLE with uncompressed counts (column-major, the first run is zeros, as
/// pycocotools writes them), or <c>{"flipped_from": "mask", "indices": [...]}</c>, another mask with the pixels at
/// those column-major indices inverted. Masks come back row-major, one byte per pixel, 1 inside.
/// </summary>
public static class ReferenceMasks
{
    public static byte[] Decode(JsonObject encoded, byte[]? flippedFrom, int width, int height)
    {
        if (encoded["flipped_from"] is not null)
        {
            var basis = flippedFrom ?? throw new InvalidDataException("a flipped mask without the mask it flips");
            var mask = (byte[])basis.Clone();
            foreach (var index in encoded["indices"]!.AsArray())
            {
                var columnMajor = index!.GetValue<long>();
                var x = (int)(columnMajor / height);
                var y = (int)(columnMajor % height);
                mask[(y * width) + x] ^= 1;
            }
            return mask;
        }
        var size = encoded["size"]!.AsArray();
        if (size[0]!.GetValue<int>() != height || size[1]!.GetValue<int>() != width)
        {
            throw new InvalidDataException($"mask size [{size[0]}, {size[1]}] is not the image's [{height}, {width}]");
        }
        var result = new byte[width * height];
        long position = 0;
        byte value = 0;
        foreach (var count in encoded["counts"]!.AsArray())
        {
            var run = count!.GetValue<long>();
            if (value == 1)
            {
                for (var p = position; p < position + run; p++)
                {
                    result[((int)(p % height) * width) + (int)(p / height)] = 1;
                }
            }
            position += run;
            value ^= 1;
        }
        if (position != (long)width * height)
        {
            throw new InvalidDataException($"RLE counts cover {position} pixels, the image has {(long)width * height}");
        }
        return result;
    }

    /// <summary>Intersection over union of two row-major masks (1 when both are empty).</summary>
    public static double Iou(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long intersection = 0, union = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var x = a[i] != 0;
            var y = b[i] != 0;
            intersection += x && y ? 1 : 0;
            union += x || y ? 1 : 0;
        }
        return union == 0 ? 1 : (double)intersection / union;
    }
}
