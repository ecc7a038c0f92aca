namespace Sam3Serve.Client;

/// <summary>
/// <c>tiles</c> (Sam3Serve extension): look closer at a large image. <see cref="Off"/> (one whole-image pass),
/// <see cref="Auto"/> (tiles only past 2016 px, the fewest of about 1512 px a side), or an explicit
/// <see cref="Grid(int, int)"/> of 1–8 rows and columns, within the server's <c>--max-tiles</c>.
/// </summary>
public sealed record Sam3Tiles
{
    private Sam3Tiles(string? keyword, int rows, int cols)
    {
        Keyword = keyword;
        Rows = rows;
        Cols = cols;
    }

    /// <summary>No tiles.</summary>
    public static Sam3Tiles Off { get; } = new("off", 0, 0);

    /// <summary>Tiles chosen by the server from the image size.</summary>
    public static Sam3Tiles Auto { get; } = new("auto", 0, 0);

    /// <summary><c>"off"</c> or <c>"auto"</c>; null for an explicit grid.</summary>
    public string? Keyword { get; }

    /// <summary>Rows of an explicit grid; 0 otherwise.</summary>
    public int Rows { get; }

    /// <summary>Columns of an explicit grid; 0 otherwise.</summary>
    public int Cols { get; }

    /// <summary>An explicit grid of <paramref name="rows"/> × <paramref name="cols"/> tiles, each 1–8.</summary>
    public static Sam3Tiles Grid(int rows, int cols)
    {
        if (rows is < 1 or > 8 || cols is < 1 or > 8)
        {
            throw new ArgumentOutOfRangeException(rows is < 1 or > 8 ? nameof(rows) : nameof(cols), "tiles: rows and cols must each be from 1 to 8");
        }
        return new Sam3Tiles(null, rows, cols);
    }

    /// <summary>Reads "off", "auto" or "RxC" (as the CLI's <c>--tiles</c> takes it).</summary>
    public static Sam3Tiles Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "off")
        {
            return Off;
        }
        if (t == "auto")
        {
            return Auto;
        }
        var parts = t.Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rows)
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var cols))
        {
            return Grid(rows, cols);
        }
        throw new FormatException($"tiles: '{text}' is not off, auto or RxC (rows x columns, e.g. 3x4)");
    }

    /// <inheritdoc />
    public override string ToString() => Keyword ?? $"{Rows}x{Cols}";
}
