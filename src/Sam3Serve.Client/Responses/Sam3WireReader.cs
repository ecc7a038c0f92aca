using System.Globalization;
using System.Text.Json;

namespace Sam3Serve.Client;

/// <summary>
/// Reads the contract's response bodies into the public types. Lenient on purpose: unknown fields are skipped,
/// missing ones take defaults, and numbers written as strings are read, so small server differences do not break callers.
/// </summary>
internal static class Sam3WireReader
{
    public static Sam3JobStatus ReadStatus(JsonElement root, string rawBody = "")
    {
        var raw = GetString(root, "status") ?? "";
        return new Sam3JobStatus
        {
            State = Sam3JobStatus.ParseState(raw),
            RawStatus = raw,
            RequestId = GetString(root, "request_id") ?? "",
            Error = GetString(root, "error"),
            Metrics = ReadMetrics(root),
            RawBody = rawBody,
        };
    }

    public static Sam3Result ReadResult(JsonElement root, double? remainingCredits)
    {
        var raw = GetString(root, "status") ?? "";
        Sam3Output? output = null;
        JsonElement? rawOutput = null;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("output", out var o) && o.ValueKind != JsonValueKind.Null)
        {
            rawOutput = o.Clone();
            if (o.ValueKind == JsonValueKind.Object)
            {
                output = ReadOutput(o);
            }
        }
        return new Sam3Result
        {
            State = Sam3JobStatus.ParseState(raw),
            RawStatus = raw,
            RequestId = GetString(root, "request_id") ?? "",
            Metrics = ReadMetrics(root),
            Output = output,
            RawOutput = rawOutput,
            RemainingCredits = remainingCredits,
        };
    }

    public static Sam3Metrics ReadMetrics(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("metrics", out var m) || m.ValueKind != JsonValueKind.Object)
        {
            return Sam3Metrics.Empty;
        }
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var p in m.EnumerateObject())
        {
            if (TryGetDouble(p.Value, out var v))
            {
                values[p.Name] = v;
            }
        }
        return new Sam3Metrics { Values = values };
    }

    public static Sam3Output ReadOutput(JsonElement o)
    {
        var masks = new List<Sam3Mask>();
        if (o.TryGetProperty("masks", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var m in list.EnumerateArray())
            {
                if (m.ValueKind == JsonValueKind.Object)
                {
                    masks.Add(ReadMask(m));
                }
            }
        }
        return new Sam3Output
        {
            Width = (int)GetDouble(o, "width"),
            Height = (int)GetDouble(o, "height"),
            Mode = GetString(o, "mode") ?? "",
            Preview = GetString(o, "preview"),
            Overlay = GetString(o, "overlay"),
            Masks = masks,
            Count = o.TryGetProperty("count", out var c) && TryGetDouble(c, out var count) ? (int)count : masks.Count,
        };
    }

    public static Sam3Credits ReadCredits(JsonElement root) => new()
    {
        Credits = root.TryGetProperty("credits", out var credits) && TryGetDouble(credits, out var value) ? value : null,
        FreeCredits = GetDouble(root, "free-credits"),
    };

    private static Sam3Mask ReadMask(JsonElement m)
    {
        var box = default(Sam3Box);
        if (m.TryGetProperty("box", out var b) && b.ValueKind == JsonValueKind.Array && b.GetArrayLength() == 4)
        {
            var v = ReadNumbers(b);
            box = new Sam3Box(v[0], v[1], v[2], v[3]);
        }
        return new Sam3Mask
        {
            Index = (int)GetDouble(m, "index"),
            Score = GetDouble(m, "score"),
            Box = box,
            Area = (long)GetDouble(m, "area"),
            PromptIndex = (int)GetDouble(m, "prompt_index"),
            Tile = m.TryGetProperty("tile", out var t) && t.ValueKind == JsonValueKind.Array && t.GetArrayLength() == 2
                && ReadNumbers(t) is var rc ? new Sam3TilePosition((int)rc[0], (int)rc[1]) : null,
            Mask = m.TryGetProperty("mask", out var data) ? ReadMaskData(data) : null,
        };
    }

    private static Sam3MaskData? ReadMaskData(JsonElement data)
    {
        switch (data.ValueKind)
        {
            case JsonValueKind.String:
                return new Sam3MaskData { Kind = Sam3MaskDataKind.Image, Image = data.GetString() };
            case JsonValueKind.Object when data.TryGetProperty("counts", out var counts) && counts.ValueKind == JsonValueKind.String:
                var size = data.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Array ? ReadNumbers(s) : [];
                if (size.Length != 2)
                {
                    throw new FormatException("an RLE mask has no [height, width] size");
                }
                return new Sam3MaskData { Kind = Sam3MaskDataKind.Rle, Rle = new Sam3Rle((int)size[0], (int)size[1], counts.GetString()!) };
            case JsonValueKind.Array:
                var rings = new List<IReadOnlyList<double>>();
                foreach (var ring in data.EnumerateArray())
                {
                    if (ring.ValueKind == JsonValueKind.Array)
                    {
                        rings.Add(ReadNumbers(ring));
                    }
                }
                return new Sam3MaskData { Kind = Sam3MaskDataKind.Polygons, Polygons = rings };
            default:
                return null;
        }
    }

    private static double[] ReadNumbers(JsonElement array)
    {
        var values = new double[array.GetArrayLength()];
        var i = 0;
        foreach (var e in array.EnumerateArray())
        {
            values[i++] = TryGetDouble(e, out var v) ? v : 0;
        }
        return values;
    }

    public static string? GetString(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    private static double GetDouble(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && TryGetDouble(v, out var d) ? d : 0;

    private static bool TryGetDouble(JsonElement e, out double value)
    {
        value = 0;
        return e.ValueKind switch
        {
            JsonValueKind.Number => e.TryGetDouble(out value),
            JsonValueKind.String => double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }
}
