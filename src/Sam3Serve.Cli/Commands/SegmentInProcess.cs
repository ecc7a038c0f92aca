using System.Globalization;
using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Imaging.Rendering;
using Sam3Serve.Server.Errors;
using Sam3Serve.Server.Requests;
using static Sam3Serve.Cli.Commands.SegmentCommand;

namespace Sam3Serve.Cli.Commands;

/// <summary>
/// <c>segment</c> without <c>--server</c>: builds the request body a client would send, validates and renders it
/// with the server's own code, and runs the engine in this process.
/// </summary>
internal static class SegmentInProcess
{
    private const long MaxImagePixels = 100_000_000;

    public static async Task<int> RunAsync(SegmentArguments args, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(args.Image, cancellationToken);
        SubmittedRequest submitted;
        RgbImage decoded;
        try
        {
            submitted = RequestValidator.Validate(BuildBody(args), bytes);
            decoded = ImageDecoder.Decode(bytes, MaxImagePixels);
        }
        catch (ApiException e)
        {
            var fields = e.FieldErrors is null ? "" : " (" + string.Join("; ", e.FieldErrors.Select(f => $"{f.Key}: {string.Join(", ", f.Value)}")) + ")";
            return Fail(e.Message + fields);
        }
        catch (ImageInputException e)
        {
            return Fail(e.Message);
        }

        using var engine = new Sam3Engine(new EngineOptions
        {
            ModelDir = args.ModelDir,
            Variant = args.Variant,
            ExecutionProvider = args.ExecutionProvider,
            WarmUp = false,
        });
        SegmentationResult result;
        try
        {
            await engine.InitializeAsync(cancellationToken);
            result = await engine.SegmentAsync(submitted.Request, decoded, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or InvalidDataException)
        {
            return Fail(e.Message);
        }
        if (engine.Bundle?.IsFixture == true)
        {
            Console.Error.WriteLine("warning: the model bundle is the test fixture (colour rules), not SAM 3");
        }

        var rendered = OutputRenderer.Render(result, decoded, submitted.Request);
        if (!string.IsNullOrEmpty(args.OutputDir))
        {
            await SegmentOutputWriter.WriteFolderAsync(args.OutputDir, rendered.Output, async dir =>
            {
                foreach (var media in rendered.Media)
                {
                    await File.WriteAllBytesAsync(Path.Combine(dir, media.Name), media.Content, cancellationToken);
                }
                return rendered.Media.Count;
            }, cancellationToken);
        }
        if (args.Json)
        {
            SegmentOutputWriter.PrintJson(rendered.Output);
        }
        else
        {
            var output = rendered.Output;
            SegmentOutputWriter.PrintSummary(
                submitted.Request.Mode.ToString().ToLowerInvariant(), output.Count, output.Width, output.Height,
                $", model time {result.InferenceSeconds.ToString("F3", CultureInfo.InvariantCulture)} s",
                output.Masks.Select(m => new SegmentOutputWriter.SummaryMask(m.Index, m.Score, m.Box, m.Area, m.PromptIndex)),
                "stages", result.StageSeconds);
        }
        return 0;
    }

    private static JsonObject BuildBody(SegmentArguments args)
    {
        var body = new JsonObject();
        if (args.TextPrompts.Length == 1)
        {
            body["text_prompt"] = args.TextPrompts[0];
        }
        else if (args.TextPrompts.Length > 1)
        {
            body["text_prompts"] = new JsonArray(args.TextPrompts.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray());
        }
        SetIfGiven(body, "points_input", args.Points);
        SetIfGiven(body, "point_labels_input", args.Labels);
        SetIfGiven(body, "boxes_input", args.Boxes);
        SetIfGiven(body, "box_labels_input", args.BoxLabels);
        SetIfGiven(body, "box_mode", args.BoxMode);
        SetIfGiven(body, "mask_format", args.MaskFormat);
        SetIfGiven(body, "threshold", args.Threshold);
        SetIfGiven(body, "points_per_side", args.PointsPerSide);
        SetIfGiven(body, "pred_iou_thresh", args.PredIouThresh);
        SetIfGiven(body, "max_masks", args.MaxMasks);
        if (!string.IsNullOrEmpty(args.Tiles))
        {
            // The CLI's "RxC" is the request's {"rows": R, "cols": C} (parsed, so it is backed by JSON text as a request
            // body's is); anything else goes as given, for the validator to judge.
            var parts = args.Tiles.Trim().ToLowerInvariant().Split('x');
            body["tiles"] = parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var rows)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var cols)
                ? JsonNode.Parse(string.Create(CultureInfo.InvariantCulture, $"{{\"rows\": {rows}, \"cols\": {cols}}}"))
                : args.Tiles.Trim();
        }
        SetIfGiven(body, "tile_overlap", args.TileOverlap);
        body["return_masks"] = args.Masks;
        body["return_overlay"] = args.Overlay;
        return body;
    }

    private static void SetIfGiven(JsonObject body, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            body[name] = value;
        }
    }

    private static void SetIfGiven(JsonObject body, string name, double? value)
    {
        if (value is { } number)
        {
            // Parsed rather than JsonValue.Create'd, so the node is backed by a JsonElement exactly as a request body's is.
            body[name] = JsonNode.Parse(number.ToString("R", CultureInfo.InvariantCulture));
        }
    }
}
