using System.Diagnostics;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine;
using Sam3Serve.Fixture;
using Sam3Serve.MemoryProbe;

namespace Sam3Serve.TileBench;

/// <summary>
/// What tiles find and cost, through the engine (no HTTP). Usage: <c>fixture</c> or <c>BUNDLE_DIR</c>.
/// <list type="bullet">
/// <item><c>fixture</c>: a 6000×4000 grey image (136, just lighter than mid-grey) with 40 pure-red squares of 5–7 px
/// and a blue decoy, text "red" without tiles and with <c>tiles: "auto"</c>: squares covered by a mask, squares
/// covered twice (duplicates after the merge), the decoy, seconds in all and per pass.</item>
/// <item><c>BUNDLE_DIR</c> (e.g. the depth2 sam3-scale bundle): <c>tiles: "auto"</c> on a 6000×4000 synthetic photo
/// (13 passes), then another concept on the same image (cached tiles): seconds and peak RSS of each.</item>
/// </list>
/// Every line carries the load average, since the figures mean little without it.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: fixture | BUNDLE_DIR");
            return 2;
        }
        string? temp = null;
        var dir = args[0];
        if (dir == "fixture")
        {
            temp = Directory.CreateTempSubdirectory("tilebench-").FullName;
            FixtureBundle.Write(temp);
            dir = temp;
        }
        try
        {
            using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir });
            await engine.InitializeAsync(CancellationToken.None);
            Console.WriteLine($"bundle {args[0]}; {Environment.ProcessorCount} CPUs; load {ProcStatus.LoadAverage()}");
            if (temp is not null)
            {
                await Squares(engine);
            }
            else
            {
                await LargePhoto(engine);
            }
        }
        finally
        {
            if (temp is not null)
            {
                Directory.Delete(temp, recursive: true);
            }
        }
        return 0;
    }

    private static async Task Squares(Sam3Engine engine)
    {
        var (image, squares, decoy) = SquaresImage();
        foreach (var (name, tiles) in new[] { ("off", (TileGrid?)null), ("auto", new TileGrid { Auto = true }) })
        {
            var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"], Tiles = tiles, ImageId = "squares-" + name };
            var clock = Stopwatch.StartNew();
            var result = await engine.SegmentAsync(request, image, CancellationToken.None);
            var seconds = clock.Elapsed.TotalSeconds;
            var covers = squares.Select(s => result.Objects.Count(o => Covers(o.Mask, s))).ToArray();
            Console.WriteLine(
                $"tiles {name}: {covers.Count(c => c > 0)} of {squares.Count} squares covered, {covers.Count(c => c > 1)} covered twice or more, " +
                $"{result.Objects.Count} masks, blue decoy covered: {result.Objects.Any(o => Covers(o.Mask, decoy))}; " +
                $"{result.ImagePasses} passes, {seconds:F2} s ({seconds / result.ImagePasses:F2} s per pass, model {result.InferenceSeconds:F2} s); load {ProcStatus.LoadAverage()}");
        }
    }

    private static async Task LargePhoto(Sam3Engine engine)
    {
        var image = Photo(6000, 4000);
        foreach (var concept in new[] { "car", "tree" })
        {
            ProcStatus.TryResetPeak();
            var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = [concept], Tiles = new TileGrid { Auto = true }, ImageId = "photo" };
            var clock = Stopwatch.StartNew();
            var result = await engine.SegmentAsync(request, image, CancellationToken.None);
            Console.WriteLine(
                $"tiles auto, concept '{concept}' ({(concept == "car" ? "new image" : "cached tiles")}): {result.ImagePasses} passes, {clock.Elapsed.TotalSeconds:F1} s " +
                $"(encoder {result.StageSeconds["encoder"]:F1} s, decoder {result.StageSeconds["decoder"]:F1} s, postprocess {result.StageSeconds["postprocess"]:F1} s), " +
                $"{result.Objects.Count} objects, peak RSS {ProcStatus.PeakResidentBytes() / 1e9:F2} GB; load {ProcStatus.LoadAverage()}");
        }
    }

    private static bool Covers(IObjectMask mask, (int X, int Y, int Side) square)
    {
        var row = new byte[mask.Width];
        for (var y = square.Y; y < square.Y + square.Side; y++)
        {
            mask.FillRow(y, row);
            if (row.AsSpan(square.X, square.Side).ContainsAnyExcept((byte)0))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The test's picture (EndToEnd SmallSquares, seed 16): squares on a jittered 8 × 5 grid, the decoy on a grid corner.</summary>
    private static (RgbImage Image, List<(int X, int Y, int Side)> Squares, (int X, int Y, int Side) Decoy) SquaresImage()
    {
        const int width = 6000, height = 4000, count = 40;
        const byte grey = 136;
        var random = new Random(16);
        var cols = (int)Math.Ceiling(Math.Sqrt(count * (double)width / height));
        var rows = (int)Math.Ceiling(count / (double)cols);
        int cellW = width / cols, cellH = height / rows;
        var pixels = new byte[width * height * 3];
        Array.Fill(pixels, grey);
        var squares = new List<(int, int, int)>();
        for (var i = 0; i < count; i++)
        {
            int r = i / cols, c = i % cols;
            var side = random.Next(5, 8);
            var x = c * cellW + 50 + random.Next(cellW - 100 - side);
            var y = r * cellH + 50 + random.Next(cellH - 100 - side);
            Paint(pixels, width, x, y, side, [255, 0, 0]);
            squares.Add((x, y, side));
        }
        var decoy = ((cols / 2 * cellW) - 3, (rows / 2 * cellH) - 3, 6);
        Paint(pixels, width, decoy.Item1, decoy.Item2, 6, [0, 0, 255]);
        return (new RgbImage(width, height, pixels), squares, decoy);
    }

    private static void Paint(byte[] pixels, int width, int x0, int y0, int side, byte[] colour)
    {
        for (var y = y0; y < y0 + side; y++)
        {
            for (var x = x0; x < x0 + side; x++)
            {
                colour.CopyTo(pixels, ((y * width) + x) * 3);
            }
        }
    }

    /// <summary>A photo-like synthetic image: gradients and blocks.</summary>
    private static RgbImage Photo(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                var block = ((x / 300) + (y / 250)) % 4;
                pixels[i] = (byte)((x * 255 / width) ^ (block * 40));
                pixels[i + 1] = (byte)(y * 255 / height);
                pixels[i + 2] = (byte)(block * 60);
            }
        }
        return new RgbImage(width, height, pixels);
    }
}
