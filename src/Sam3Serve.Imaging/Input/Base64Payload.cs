using System.Buffers;

namespace Sam3Serve.Imaging.Input;

/// <summary>Decodes base64 image payloads with whitespace tolerated and the size checked before decoding.</summary>
internal static class Base64Payload
{
    public static byte[] Decode(ReadOnlySpan<char> text, long maxBytes, string what)
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
        var decodedLength = ((long)(significant + missingPadding) / 4 * 3) - padding - missingPadding;
        if (decodedLength > maxBytes)
        {
            throw new ImageInputException(ImageErrorKind.TooLarge,
                $"{what} decodes to {decodedLength} bytes, over the limit of {maxBytes}");
        }

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
            var bytes = new byte[decodedLength];
            if (!Convert.TryFromBase64Chars(compact.AsSpan(0, n), bytes, out var written) || written != bytes.Length)
            {
                throw new ImageInputException(ImageErrorKind.Invalid, $"{what} is not valid base64");
            }
            return bytes;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(compact);
        }
    }
}
