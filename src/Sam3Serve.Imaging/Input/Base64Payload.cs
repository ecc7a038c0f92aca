using System.Buffers;
using System.Buffers.Text;

namespace Sam3Serve.Imaging.Input;

/// <summary>Decodes base64 image payloads with whitespace tolerated and the size checked before decoding.</summary>
internal static class Base64Payload
{
    private static readonly SearchValues<char> WhiteChars = SearchValues.Create(" \t\r\n\f\v");
    private static readonly SearchValues<byte> WhiteBytes = SearchValues.Create(" \t\r\n\f\v"u8);

    /// <summary>Decodes base64 text (UTF-16).</summary>
    public static byte[] Decode(ReadOnlySpan<char> text, long maxBytes, string what)
    {
        // The common case, compact and padded base64, decodes in place without a copy.
        if (text.Length % 4 == 0 && text.IndexOfAny(WhiteChars) < 0 && text.IndexOfAnyExceptInRange('\0', '\x7f') < 0)
        {
            var padding = text.EndsWith("==") ? 2 : text.EndsWith("=") ? 1 : 0;
            var bytes = Allocate(text.Length, padding, 0, maxBytes, what);
            if (!Convert.TryFromBase64Chars(text, bytes, out var written) || written != bytes.Length)
            {
                throw Invalid(what);
            }
            return bytes;
        }
        return DecodeSlow(text, maxBytes, what);
    }

    /// <summary>
    /// Decodes base64 given as UTF-8 bytes (the JSON body's own buffer): no UTF-16 string of the payload is
    /// made. Anything but plain ASCII goes the UTF-16 way, so both accept exactly the same payloads.
    /// </summary>
    public static byte[] Decode(ReadOnlySpan<byte> utf8, long maxBytes, string what)
    {
        if (utf8.IndexOfAnyExceptInRange((byte)0, (byte)0x7f) >= 0)
        {
            return DecodeSlow(System.Text.Encoding.UTF8.GetString(utf8), maxBytes, what);
        }
        if (utf8.Length % 4 == 0 && utf8.IndexOfAny(WhiteBytes) < 0)
        {
            var padding = utf8.EndsWith("=="u8) ? 2 : utf8.EndsWith("="u8) ? 1 : 0;
            var bytes = Allocate(utf8.Length, padding, 0, maxBytes, what);
            if (Base64.DecodeFromUtf8(utf8, bytes, out var consumed, out var written) != OperationStatus.Done
                || consumed != utf8.Length || written != bytes.Length)
            {
                throw Invalid(what);
            }
            return bytes;
        }
        // Whitespace or missing padding: rare, and handled once, by the UTF-16 path.
        var chars = ArrayPool<char>.Shared.Rent(utf8.Length);
        try
        {
            var n = System.Text.Encoding.ASCII.GetChars(utf8, chars);
            return DecodeSlow(chars.AsSpan(0, n), maxBytes, what);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static byte[] DecodeSlow(ReadOnlySpan<char> text, long maxBytes, string what)
    {
        var significant = 0;
        var padding = 0;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                continue;
            }
            significant++;
            padding = c == '=' ? padding + 1 : 0;
        }
        if (significant == 0)
        {
            throw new ImageInputException(ImageErrorKind.Invalid, $"{what} is empty");
        }

        // Clients often drop the '=' padding; restore it rather than refuse the image.
        var missingPadding = significant % 4 == 0 ? 0 : 4 - (significant % 4);
        if (missingPadding == 3 || padding > 2 || (padding > 0 && missingPadding > 0))
        {
            throw new ImageInputException(ImageErrorKind.Invalid, $"{what} is not valid base64 (its length is impossible)");
        }
        var bytes = Allocate(significant + missingPadding, padding, missingPadding, maxBytes, what);
        var compact = ArrayPool<char>.Shared.Rent(significant + missingPadding);
        try
        {
            var n = 0;
            foreach (var c in text)
            {
                if (!char.IsWhiteSpace(c))
                {
                    compact[n++] = c;
                }
            }
            for (var i = 0; i < missingPadding; i++)
            {
                compact[n++] = '=';
            }
            if (!Convert.TryFromBase64Chars(compact.AsSpan(0, n), bytes, out var written) || written != bytes.Length)
            {
                throw Invalid(what);
            }
            return bytes;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(compact);
        }
    }

    /// <summary>The output array for <paramref name="padded"/> base64 characters, after the size check.</summary>
    private static byte[] Allocate(long padded, int padding, int missingPadding, long maxBytes, string what)
    {
        if (padded == 0)
        {
            throw new ImageInputException(ImageErrorKind.Invalid, $"{what} is empty");
        }
        var decodedLength = (padded / 4 * 3) - padding - missingPadding;
        if (decodedLength > maxBytes)
        {
            throw new ImageInputException(ImageErrorKind.TooLarge,
                $"{what} decodes to {decodedLength} bytes, over the limit of {maxBytes}");
        }
        return new byte[decodedLength];
    }

    private static ImageInputException Invalid(string what) => new(ImageErrorKind.Invalid, $"{what} is not valid base64");
}
