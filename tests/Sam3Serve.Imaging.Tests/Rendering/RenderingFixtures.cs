using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Imaging.Tests.Support;

namespace Sam3Serve.Imaging.Tests.Rendering;

/// <summary>A non-square test image and helpers to build results and requests around fake masks.</summary>
internal static class RenderingFixtures
{
    public const int Width = 80;
    public const int Height = 50;

    private static readonly float[] Scores = [0.9f, 0.8f, 0.7f, 0.6f, 0.5f];

    /// <summary>A smooth gradient, so every pixel has a distinct, predictable colour.</summary>
    public static RgbImage Image()
    {
        var pixels = new byte[Width * Height * 3];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var o = ((y * Width) + x) * 3;
                (pixels[o], pixels[o + 1], pixels[o + 2]) = ((byte)(x * 3), (byte)(y * 5), (byte)(100 + x - y));
            }
        }
        return new RgbImage(Width, Height, pixels);
    }

    public static PredicateMask Rectangle(int x0, int y0, int x1, int y1) => PredicateMask.Rectangle(Width, Height, x0, y0, x1, y1);

    public static PredicateMask LShape() => PredicateMask.LShape(Width, Height, 5, 5, 30, 40, 6);

    public static PredicateMask Ring() => PredicateMask.Ring(Width, Height, 40, 8, 75, 45, 5);

    public static SegmentationResult Result(params IObjectMask[] masks) => new()
    {
        Objects = [.. masks.Select((m, i) => new DetectedObject
        {
            Score = Scores[i % Scores.Length],
            Box = [i, i + 0.5f, 10 + i, 20 + i],
            PromptIndex = i % 2,
            Mask = m,
        })],
    };

    public static SegmentationRequest Request(bool preview = true, bool overlay = false, bool masks = false, MaskFormat format = MaskFormat.Png,
        SegmentationMode mode = SegmentationMode.Concept) => new()
    {
        Mode = mode,
        Output = new OutputOptions { ReturnPreview = preview, ReturnOverlay = overlay, ReturnMasks = masks, MaskFormat = format },
    };

    /// <summary>The mask with its holes filled: every pixel not reachable from the border through outside pixels (4-connected).</summary>
    public static bool[] Filled(PredicateMask mask)
    {
        int w = mask.Width, h = mask.Height;
        var reached = new bool[w * h];
        var stack = new Stack<(int X, int Y)>();
        for (var x = 0; x < w; x++)
        {
            stack.Push((x, 0));
            stack.Push((x, h - 1));
        }
        for (var y = 0; y < h; y++)
        {
            stack.Push((0, y));
            stack.Push((w - 1, y));
        }
        while (stack.Count > 0)
        {
            var (x, y) = stack.Pop();
            if (x < 0 || y < 0 || x >= w || y >= h || reached[(y * w) + x] || mask.Contains(x, y))
            {
                continue;
            }
            reached[(y * w) + x] = true;
            stack.Push((x + 1, y));
            stack.Push((x - 1, y));
            stack.Push((x, y + 1));
            stack.Push((x, y - 1));
        }
        return [.. reached.Select(r => !r)];
    }
}
