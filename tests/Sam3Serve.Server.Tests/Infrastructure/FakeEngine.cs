using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Server.Tests.Infrastructure;

/// <summary>
/// A test-only engine with fixed, predictable answers, so HTTP tests can assert exact boxes and pixels:
/// concept mode finds one rectangle per prompt (prompt i → columns [10+20i, 30+20i), rows [5, 25)),
/// interactive mode a 10×10 square centred on the first point (or the first box), automatic mode a
/// grid of three rectangles. The text "nothing" detects nothing. With an explicit tile grid every object says it was
/// found by the last tile and the passes are 1 + rows × cols.
/// </summary>
public sealed class FakeEngine : ISegmentationEngine
{
    private int _calls;
    private int _cancelled;

    public bool IsReady { get; set; } = true;

    /// <summary>Time each request spends "in the model".</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Requests seen, in order.</summary>
    public List<SegmentationRequest> Requests { get; } = [];

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Requests that stopped because their cancellation token fired.</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    /// <summary>When set, every request throws this (an engine bug, as far as the server can tell).</summary>
    public Exception? Fault { get; set; }

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask<SegmentationResult> SegmentAsync(SegmentationRequest request, RgbImage image, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        lock (Requests)
        {
            Requests.Add(request);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }
        }
        if (Fault is { } fault)
        {
            throw fault;
        }
        var objects = new List<DetectedObject>();
        switch (request.Mode)
        {
            case SegmentationMode.Concept:
                for (var i = 0; i < request.TextPrompts.Count; i++)
                {
                    if (request.TextPrompts[i] != "nothing")
                    {
                        objects.Add(Rect(image, 10 + 20 * i, 5, 30 + 20 * i, 25, 0.9f - 0.1f * i, i));
                    }
                }
                if (request.TextPrompts.Count == 0)
                {
                    foreach (var b in request.Boxes)
                    {
                        objects.Add(Rect(image, (int)b.X1, (int)b.Y1, (int)b.X2, (int)b.Y2, 0.8f, 0));
                    }
                }
                break;
            case SegmentationMode.Interactive:
                if (request.Points.Count > 0)
                {
                    var p = request.Points[0];
                    objects.Add(Rect(image, (int)p.X - 5, (int)p.Y - 5, (int)p.X + 5, (int)p.Y + 5, 0.95f, 0));
                }
                else
                {
                    foreach (var b in request.Boxes)
                    {
                        objects.Add(Rect(image, (int)b.X1, (int)b.Y1, (int)b.X2, (int)b.Y2, 0.9f, 0));
                    }
                }
                break;
            default:
                objects.Add(Rect(image, 0, 0, 10, 10, 0.91f, 0));
                objects.Add(Rect(image, 20, 0, 30, 10, 0.97f, 0));
                objects.Add(Rect(image, 0, 20, 10, 30, 0.93f, 0));
                break;
        }
        if (request.MaxMasks > 0)
        {
            objects = objects.OrderByDescending(o => o.Score).Take(request.MaxMasks).ToList();
        }
        // An explicit tile grid: every object "found" by the last tile, one pass per tile besides the whole image.
        var passes = 1;
        if (request.Tiles is { Auto: false, Rows: > 0 } grid)
        {
            objects = [.. objects.Select(o => o with { Tile = new TilePosition(grid.Rows - 1, grid.Cols - 1) })];
            passes += grid.Rows * grid.Cols;
        }
        return new SegmentationResult
        {
            Objects = objects,
            ImagePasses = passes,
            // Measured, never more than the time that really passed (the server's total_time includes it).
            InferenceSeconds = clock.Elapsed.TotalSeconds,
            StageSeconds = new Dictionary<string, double> { ["encoder"] = 0.0005, ["decoder"] = 0.0005 },
        };
    }

    private static DetectedObject Rect(RgbImage image, int x1, int y1, int x2, int y2, float score, int promptIndex)
    {
        x1 = Math.Clamp(x1, 0, image.Width);
        x2 = Math.Clamp(x2, 0, image.Width);
        y1 = Math.Clamp(y1, 0, image.Height);
        y2 = Math.Clamp(y2, 0, image.Height);
        return new DetectedObject
        {
            Score = score,
            Box = [x1, y1, x2, y2],
            PromptIndex = promptIndex,
            Mask = new RectMask(image.Width, image.Height, x1, y1, x2, y2),
        };
    }

    /// <summary>Pixels with x1 ≤ x &lt; x2 and y1 ≤ y &lt; y2.</summary>
    public sealed record RectMask(int Width, int Height, int X1, int Y1, int X2, int Y2) : IObjectMask
    {
        public void FillRow(int y, Span<byte> row)
        {
            row.Clear();
            if (y >= Y1 && y < Y2 && X2 > X1)
            {
                row[X1..X2].Fill(1);
            }
        }
    }
}
