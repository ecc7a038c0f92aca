using System.Buffers;
using System.Globalization;
using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Imaging.Rendering;

/// <summary>
/// Builds the response's output object (masks, scores, boxes, overlay) and its PNG files from an engine result. Masks are produced
/// lazily by the engine; each is filled into one reused full-size buffer, used for everything it feeds
/// (area, preview, overlay, per-mask output), and dropped before the next, so memory does not grow with
/// the number of objects.
/// </summary>
public static class OutputRenderer
{
    /// <summary>Media name of the combined preview.</summary>
    public const string PreviewName = "preview.png";
    /// <summary>Media name of the overlay.</summary>
    public const string OverlayName = "overlay.png";

    /// <summary>Media name of object <paramref name="index"/>'s mask PNG.</summary>
    public static string MaskName(int index) => $"mask-{index.ToString(CultureInfo.InvariantCulture)}.png";

    /// <summary>Renders <paramref name="result"/> over <paramref name="image"/> as <paramref name="request"/>'s output options ask.</summary>
    public static RenderedOutput Render(SegmentationResult result, RgbImage image, SegmentationRequest request)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Output;
        int width = image.Width, height = image.Height;
        var objects = result.Objects;
        foreach (var detected in objects)
        {
            if (detected.Mask.Width != width || detected.Mask.Height != height)
            {
                throw new ArgumentException(
                    $"a mask is {detected.Mask.Width}x{detected.Mask.Height} but the image is {width}x{height}", nameof(result));
            }
        }

        // The two full-size scratch buffers come from the pool: at 1280x720 they are 0.9 MB each, and fresh
        // ones per request land on the large object heap and drive gen2 collections (issue 11's profile).
        var count = width * height;
        var maskBuffer = ArrayPool<byte>.Shared.Rent(count);
        var previewBuffer = options.ReturnPreview ? ArrayPool<byte>.Shared.Rent(count) : null;
        var media = new List<MediaFile>();
        var entries = new List<MaskEntry>(objects.Count);
        // Preview values are index + 1, or 255 for a lone object; past 255 objects they saturate at 255.
        var lone = objects.Count == 1;
        using var overlay = options.ReturnOverlay ? PngWriter.ToOpaqueBitmap(image) : null;
        try
        {
            var mask = maskBuffer.AsSpan(0, count);
            var preview = previewBuffer is null ? default : previewBuffer.AsSpan(0, count);
            preview.Clear();
            var overlayPixels = overlay is null ? default : overlay.GetPixelSpan();
            for (var i = 0; i < objects.Count; i++)
            {
                var detected = objects[i];
                FillMask(detected.Mask, mask, width, height);
                var area = (long)count - mask.Count((byte)0);
                if (previewBuffer is not null)
                {
                    MaskOps.Stamp(preview, mask, lone ? (byte)255 : (byte)Math.Min(i + 1, 255));
                }
                if (overlay is not null)
                {
                    OverlayPainter.Paint(overlayPixels, mask, width, height, OverlayPainter.ColourFor(i));
                }
                var maskNode = options.ReturnMasks ? MaskOutput(maskBuffer, width, height, i, options.MaskFormat, media) : null;
                entries.Add(new MaskEntry
                {
                    Index = i,
                    Score = ShortestDouble(detected.Score),
                    Box = [.. detected.Box.Select(v => Math.Round((double)v, 2, MidpointRounding.AwayFromZero))],
                    Area = area,
                    PromptIndex = detected.PromptIndex,
                    Tile = detected.Tile is { } tile ? [tile.Row, tile.Col] : null,
                    Mask = maskNode,
                });
            }

            var leading = new List<MediaFile>(2);
            if (previewBuffer is not null)
            {
                leading.Add(new MediaFile(PreviewName, PngWriter.EncodeGray8(previewBuffer, width, height)));
            }
            if (overlay is not null)
            {
                leading.Add(new MediaFile(OverlayName, PngWriter.Encode(overlay)));
            }
            media.InsertRange(0, leading);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(maskBuffer);
            if (previewBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(previewBuffer);
            }
        }

        var output = new OutputObject
        {
            Width = width,
            Height = height,
            Mode = request.Mode.ToString().ToLowerInvariant(),
            Preview = options.ReturnPreview ? PreviewName : null,
            Overlay = overlay is null ? null : OverlayName,
            Masks = entries,
        };
        return new RenderedOutput(output, media);
    }

    private static void FillMask(IObjectMask source, Span<byte> mask, int width, int height)
    {
        for (var y = 0; y < height; y++)
        {
            var row = mask.Slice(y * width, width);
            source.FillRow(y, row);
            // The contract says 0 or 1; anything else nonzero is read as inside.
            if (row.ContainsAnyExceptInRange((byte)0, (byte)1))
            {
                foreach (ref var v in row)
                {
                    v = v == 0 ? (byte)0 : (byte)1;
                }
            }
        }
    }

    /// <summary>The per-mask output; <paramref name="buffer"/> is a pooled array whose first width × height bytes are the mask.</summary>
    private static JsonNode MaskOutput(byte[] buffer, int width, int height, int index, MaskFormat format, List<MediaFile> media)
    {
        var mask = buffer.AsSpan(0, width * height);
        switch (format)
        {
            case MaskFormat.Rle:
                return new JsonObject
                {
                    ["size"] = new JsonArray(height, width),
                    ["counts"] = CocoRle.Encode(mask, width, height),
                };
            case MaskFormat.Polygon:
                var rings = new JsonArray();
                foreach (var ring in ContourTracer.TraceOuterRings(mask, width, height))
                {
                    rings.Add(new JsonArray([.. ring.Select(v => (JsonNode)v)]));
                }
                return rings;
            default:
                // Last use of this object's buffer: turn 0/1 into 0/255 in place rather than copy it.
                MaskOps.OnesTo255(mask);
                var name = MaskName(index);
                media.Add(new MediaFile(name, PngWriter.EncodeGray8(buffer, width, height)));
                return JsonValue.Create(name);
        }
    }

    // A float widened to double prints as 0.9300000071525574; going through its shortest text keeps 0.93.
    private static double ShortestDouble(float value) =>
        float.IsFinite(value) ? double.Parse(value.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : 0;
}
