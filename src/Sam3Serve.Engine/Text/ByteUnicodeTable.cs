namespace Sam3Serve.Engine.Text;

/// <summary>
/// GPT-2/CLIP reversible byte → printable-character table: printable Latin-1 bytes map to themselves, the other
/// 68 bytes map to U+0100 upwards in byte order. <see cref="Order"/> is the table's iteration order, which fixes
/// the first 256 vocabulary ids.
/// </summary>
internal static class ByteUnicodeTable
{
    /// <summary>Character standing for each byte value.</summary>
    public static char[] ByteToChar => Table.Map;

    /// <summary>Byte values in vocabulary order: '!'..'~', '¡'..'¬', '®'..'ÿ', then the remaining bytes ascending.</summary>
    public static byte[] Order => Table.Order;

    private static readonly (char[] Map, byte[] Order) Table = Build();

    private static (char[] Map, byte[] Order) Build()
    {
        var map = new char[256];
        var assigned = new bool[256];
        var list = new List<byte>(256);
        foreach (var (first, last) in new[] { ('!', '~'), ('¡', '¬'), ('®', 'ÿ') })
        {
            for (int b = first; b <= last; b++)
            {
                map[b] = (char)b;
                assigned[b] = true;
                list.Add((byte)b);
            }
        }
        var next = 0;
        for (var b = 0; b < 256; b++)
        {
            if (!assigned[b])
            {
                map[b] = (char)(256 + next++);
                list.Add((byte)b);
            }
        }
        return (map, [.. list]);
    }
}
