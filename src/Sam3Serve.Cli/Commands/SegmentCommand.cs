using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Engine;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Imaging.Rendering;
using Sam3Serve.Server.Errors;
using Sam3Serve.Server.Requests;

namespace Sam3Serve.Cli.Commands;

/// <summary>
/// <c>sam3serve segment IMAGE [--text T] [--points "[[x,y]]"] [--labels "[1]"] [--boxes "[[x1,y1,x2,y2]]"] ...</c>:
/// runs the engine in this process on one local image, with the same request rules and rendering as the server.
/// </summary>
public static class SegmentCommand
{
    private const long MaxImagePixels = 100_000_000;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var image = new Argument<FileInfo>("IMAGE") { Description = "A local JPEG, PNG or WebP file" };
        var text = new Option<string[]>("--text", "-t") { Description = "Concept prompt (repeat for several)", AllowMultipleArgumentsPerToken = false };
        var points = new Option<string>("--points") { Description = "Point prompts, e.g. \"[[300,400]]\" (interactive mode)" };
        var labels = new Option<string>("--labels") { Description = "Point labels, e.g. \"[1,0]\" (1 foreground, 0 background; default all 1)" };
        var boxes = new Option<string>("--boxes") { Description = "Boxes, e.g. \"[[10,20,200,220]]\" (exemplars, or objects with --box-mode object)" };
        var boxMode = new Option<string>("--box-mode") { Description = "exemplar (default) or object" };
        var threshold = new Option<double?>("--threshold") { Description = "Concept score threshold (default 0.5)" };
        var pointsPerSide = new Option<int?>("--points-per-side") { Description = "Automatic-mode grid (default 32; 0 turns it off)" };
        var predIou = new Option<double?>("--pred-iou-thresh") { Description = "Automatic-mode IoU filter (default 0.88)" };
        var maxMasks = new Option<int?>("--max-masks") { Description = "Keep at most this many masks (default 0 = all)" };
        var masks = new Option<bool>("--masks") { Description = "Also write one mask per object" };
        var overlay = new Option<bool>("--overlay") { Description = "Also write the masks drawn over the image" };
        var maskFormat = new Option<string>("--mask-format") { Description = "png (default), rle or polygon for --masks" };
        var modelDir = new Option<string>("--model-dir") { Description = "The model bundle", DefaultValueFactory = _ => ModelsCommand.DefaultDirectory };
        var variant = new Option<string>("--variant") { Description = "Precision variant (default: the first complete one found)" };
        var provider = new Option<string>("--execution-provider") { Description = "cpu, cuda or tensorrt", DefaultValueFactory = _ => "cpu" };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the PNG files and result.json (default: next to nothing, print only)" };
        var json = new Option<bool>("--json") { Description = "Print the output object as JSON" };

        var command = new Command("segment", "Segment one local image with the engine in this process")
        {
            image, text, points, labels, boxes, boxMode, threshold, pointsPerSide, predIou, maxMasks, masks, overlay, maskFormat,
            modelDir, variant, provider, output, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(image)!;
            if (!file.Exists)
            {
                return Fail($"image not found: {file.FullName}");
            }
            var bytes = await File.ReadAllBytesAsync(file.FullName, cancellationToken);

            var body = new JsonObject();
            var prompts = parse.GetValue(text) ?? [];
            if (prompts.Length == 1)
            {
                body["text_prompt"] = prompts[0];
            }
            else if (prompts.Length > 1)
            {
                body["text_prompts"] = new JsonArray(prompts.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray());
            }
            SetIfGiven(body, "points_input", parse.GetValue(points));
            SetIfGiven(body, "point_labels_input", parse.GetValue(labels));
            SetIfGiven(body, "boxes_input", parse.GetValue(boxes));
            SetIfGiven(body, "box_mode", parse.GetValue(boxMode));
            SetIfGiven(body, "mask_format", parse.GetValue(maskFormat));
            if (parse.GetValue(threshold) is { } t)
            {
                body["threshold"] = Number(t);
            }
            if (parse.GetValue(pointsPerSide) is { } pps)
            {
                body["points_per_side"] = Number(pps);
            }
            if (parse.GetValue(predIou) is { } iou)
            {
                body["pred_iou_thresh"] = Number(iou);
            }
            if (parse.GetValue(maxMasks) is { } max)
            {
                body["max_masks"] = Number(max);
            }
            body["return_masks"] = parse.GetValue(masks);
            body["return_overlay"] = parse.GetValue(overlay);

            SubmittedRequest submitted;
            RgbImage decoded;
            try
            {
                submitted = RequestValidator.Validate(body, bytes);
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
                ModelDir = parse.GetValue(modelDir)!,
                Variant = parse.GetValue(variant),
                ExecutionProvider = parse.GetValue(provider)!,
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
            var outDir = parse.GetValue(output);
            if (!string.IsNullOrEmpty(outDir))
            {
                WriteFiles(outDir, rendered);
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rendered.Output, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                PrintSummary(submitted.Request.Mode.ToString().ToLowerInvariant(), result, rendered.Output);
            }
            return 0;
        });
        return command;
    }

    // Parsed rather than JsonValue.Create'd, so the node is backed by a JsonElement exactly as a request body's is.
    private static JsonNode Number(double value) => JsonNode.Parse(value.ToString("R", CultureInfo.InvariantCulture))!;

    private static void SetIfGiven(JsonObject body, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            body[name] = value;
        }
    }

    private static void WriteFiles(string dir, RenderedOutput rendered)
    {
        Directory.CreateDirectory(dir);
        foreach (var media in rendered.Media)
        {
            File.WriteAllBytes(Path.Combine(dir, media.Name), media.Content);
        }
        File.WriteAllText(Path.Combine(dir, "result.json"), JsonSerializer.Serialize(rendered.Output, new JsonSerializerOptions { WriteIndented = true }));
        Console.Error.WriteLine($"wrote {rendered.Media.Count + 1} file(s) to {Path.GetFullPath(dir)}");
    }

    private static void PrintSummary(string mode, SegmentationResult result, OutputObject output)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"{mode}: {output.Count} object(s) in {output.Width}x{output.Height}, model time {result.InferenceSeconds.ToString("F3", c)} s");
        foreach (var mask in output.Masks)
        {
            var box = string.Join(", ", mask.Box.Select(v => v.ToString("F1", c)));
            Console.WriteLine($"  #{mask.Index} score {mask.Score.ToString("F4", c)} box [{box}] area {mask.Area} prompt {mask.PromptIndex}");
        }
        Console.WriteLine("  stages: " + string.Join(", ", result.StageSeconds.Select(kv => $"{kv.Key} {(kv.Value * 1000).ToString("F1", c)} ms")));
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
