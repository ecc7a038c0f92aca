using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.LoadTest;

/// <summary>
/// A measuring instrument, not a model: answers at once with one rectangular object covering the
/// middle third of the image, so the load run measures only the server's own work (decode, render,
/// encode, HTTP, store).
/// </summary>
internal sealed class InstantEngine : ISegmentationEngine
{
    public bool IsReady => true;

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<SegmentationResult> SegmentAsync(SegmentationRequest request, RgbImage image, CancellationToken cancellationToken)
    {
        int x1 = image.Width / 3, x2 = 2 * image.Width / 3, y1 = image.Height / 3, y2 = 2 * image.Height / 3;
        var obj = new DetectedObject { Score = 0.9f, Box = [x1, y1, x2, y2], Mask = new Middle(image.Width, image.Height, x1, y1, x2, y2) };
        return ValueTask.FromResult(new SegmentationResult { Objects = [obj], InferenceSeconds = 0 });
    }

    private sealed record Middle(int Width, int Height, int X1, int Y1, int X2, int Y2) : IObjectMask
    {
        public void FillRow(int y, Span<byte> row)
        {
            row.Clear();
            if (y >= Y1 && y < Y2)
            {
                row[X1..X2].Fill(1);
            }
        }
    }
}
