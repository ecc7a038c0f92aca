using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Sam3Serve.Engine.Text;

/// <summary>
/// The reference tokenizer's <c>clean="lower"</c> step: ftfy.fix_text, HTML-unescape twice, strip, collapse
/// whitespace, lowercase.
/// </summary>
/// <remarks>
/// ftfy is a Python library with no .NET port. Only the parts of <c>fix_text</c> that change ordinary prompts are
/// reproduced: curly quotes become straight ones, Latin ligatures are split, full-width ASCII becomes ASCII and
/// control characters are dropped. Mojibake repair and NFC normalisation (unavailable under invariant
/// globalisation) are not done, so text with broken encodings or decomposed accents may tokenize differently.
/// </remarks>
internal static partial class ClipTextCleaner
{
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fixedText = FixTextSubset(text);
        var unescaped = WebUtility.HtmlDecode(WebUtility.HtmlDecode(fixedText)).Trim();
        return Whitespace().Replace(unescaped, " ").Trim().ToLowerInvariant();
    }

    private static string FixTextSubset(string text)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var replacement = Replace(c);
            if (replacement is null)
            {
                sb?.Append(c);
                continue;
            }
            sb ??= new StringBuilder(text.Length).Append(text, 0, i);
            sb.Append(replacement);
        }
        return sb?.ToString() ?? text;
    }

    // Returns null when the character stays as it is.
    private static string? Replace(char c) => c switch
    {
        '\u02BC' or (>= '\u2018' and <= '\u201B') => "'",
        >= '\u201C' and <= '\u201F' => "\"",
        '\uFB00' => "ff",
        '\uFB01' => "fi",
        '\uFB02' => "fl",
        '\uFB03' => "ffi",
        '\uFB04' => "ffl",
        '\uFB05' or '\uFB06' => "st",
        >= '\uFF01' and <= '\uFF5E' => ((char)(c - 0xFF01 + 0x21)).ToString(),
        '\u3000' => " ",
        (>= '\u0000' and <= '\u0008') or (>= '\u000E' and <= '\u001F') or '\u007F' or '\uFEFF'
            or (>= '\u206A' and <= '\u206F') or (>= '\uFFF9' and <= '\uFFFC') => string.Empty,
        _ => null,
    };

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
