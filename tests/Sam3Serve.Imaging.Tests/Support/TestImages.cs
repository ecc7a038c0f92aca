using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Sam3Serve.Contracts.Inference;
using SkiaSharp;

namespace Sam3Serve.Imaging.Tests.Support;

/// <summary>Image files built byte by byte or with SkiaSharp, for decoder tests.</summary>
public static class TestImages
{
    /// <summary>An RGBA bitmap filled by <paramref name="colour"/>(x, y).</summary>
    public static SKBitmap Bitmap(int width, int height, Func<int, int, SKColor> colour)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, colour(x, y));
            }
        }
        return bitmap;
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 95)
    {
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>Inserts an APP1 Exif segment holding only the Orientation tag right after the JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        if (jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            throw new ArgumentException("not a JPEG", nameof(jpeg));
        }
        var tiff = new byte[]
        {
            (byte)'M', (byte)'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF header, IFD0 at offset 8
            0x00, 0x01,                                                 // one entry
            0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,             // tag 0x0112 Orientation, SHORT, count 1
            0x00, (byte)orientation, 0x00, 0x00,                        // value, left-justified
            0x00, 0x00, 0x00, 0x00,                                     // no next IFD
        };
        var payload = Encoding.ASCII.GetBytes("Exif\0\0").Concat(tiff).ToArray();
        var segmentLength = payload.Length + 2;
        var app1 = new byte[] { 0xFF, 0xE1, (byte)(segmentLength >> 8), (byte)segmentLength }.Concat(payload);
        return jpeg.Take(2).Concat(app1).Concat(jpeg.Skip(2)).ToArray();
    }

    /// <summary>A well-formed RGB PNG whose IHDR declares the given size, with only a few bytes of pixel data.</summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type RGB
        WriteChunk(file, "IHDR", ihdr);
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(new byte[4096]);
        }
        WriteChunk(file, "IDAT", compressed.ToArray());
        WriteChunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>An uncompressed 24-bit bottom-up BMP.</summary>
    public static byte[] Bmp24(RgbImage image)
    {
        var stride = ((image.Width * 3) + 3) & ~3;
        var imageBytes = stride * image.Height;
        var file = new byte[54 + imageBytes];
        file[0] = (byte)'B';
        file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), image.Height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(34), imageBytes);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(38), 2835);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(42), 2835);
        for (var y = 0; y < image.Height; y++)
        {
            var row = image.Row(y);
            var target = file.AsSpan(54 + ((image.Height - 1 - y) * stride));
            for (var x = 0; x < image.Width; x++)
            {
                target[(x * 3) + 0] = row[(x * 3) + 2];
                target[(x * 3) + 1] = row[(x * 3) + 1];
                target[(x * 3) + 2] = row[x * 3];
            }
        }
        return file;
    }

    /// <summary>
    /// A GIF with a 4-colour palette and one full-size frame per index function. The LZW stream sends a clear
    /// code before every two pixels, so the code table never grows past 3-bit codes and every pixel is a literal.
    /// </summary>
    public static byte[] Gif(int width, int height, (byte R, byte G, byte B)[] palette, params Func<int, int, int>[] frames)
    {
        if (palette.Length != 4)
        {
            throw new ArgumentException("four colours expected", nameof(palette));
        }
        using var file = new MemoryStream();
        file.Write("GIF89a"u8);
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(size, (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(size[2..], (ushort)height);
        file.Write(size);
        file.Write([0x91, 0, 0]); // global colour table of 2^(1+1) entries
        foreach (var (r, g, b) in palette)
        {
            file.Write([r, g, b]);
        }
        foreach (var index in frames)
        {
            file.WriteByte(0x2C);
            file.Write([0, 0, 0, 0]);
            file.Write(size);
            file.WriteByte(0);
            file.WriteByte(2); // LZW minimum code size
            WriteLzwLiterals(file, width, height, index);
        }
        file.WriteByte(0x3B);
        return file.ToArray();
    }

    private static void WriteLzwLiterals(Stream file, int width, int height, Func<int, int, int> index)
    {
        const int clear = 4, end = 5;
        var codes = new List<int>();
        var count = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (count++ % 2 == 0)
                {
                    codes.Add(clear);
                }
                codes.Add(index(x, y));
            }
        }
        codes.Add(end);
        var packed = new List<byte>();
        int accumulator = 0, bits = 0;
        foreach (var code in codes)
        {
            accumulator |= code << bits;
            bits += 3;
            while (bits >= 8)
            {
                packed.Add((byte)accumulator);
                accumulator >>= 8;
                bits -= 8;
            }
        }
        if (bits > 0)
        {
            packed.Add((byte)accumulator);
        }
        foreach (var block in packed.Chunk(255))
        {
            file.WriteByte((byte)block.Length);
            file.Write(block);
        }
        file.WriteByte(0);
    }

    private static void WriteChunk(Stream file, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        file.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        file.Write(typeBytes);
        file.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeBytes.Concat(data).ToArray()));
        file.Write(word);
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, reflected polynomial 0xEDB88320).</summary>
    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}
