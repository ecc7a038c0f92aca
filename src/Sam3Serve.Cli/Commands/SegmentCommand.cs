using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Client;
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
/// runs the engine in this process on one local image, with the same request rules and rendering as the server;
/// with <c>--server URL</c> it sends the request to a running service through the SDK instead (v2, polled).
/// </summary>
public static class SegmentCommand
{
    private const long MaxImagePixels = 100_000_000;

    // Files and terminals, not HTML: keep RLE counts and base64 readable rather than \u-escaped.
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
        var modelDir = new Option<string>("--model-dir") { Description = "The model bundle (in-process only)", DefaultValueFactory = _ => ModelsCommand.DefaultDirectory };
        var variant = new Option<string>("--variant") { Description = "Precision variant (in-process only; default: the first complete one found)" };
        var provider = new Option<string>("--execution-provider") { Description = "cpu, cuda or tensorrt (in-process only)", DefaultValueFactory = _ => "cpu" };
        var server = new Option<string>("--server") { Description = "Send the request to the service at this URL (e.g. http://localhost:8080) instead of running the engine here" };
        var key = new Option<string>("--key") { Description = $"API key for --server (default: ${Sam3ClientOptions.ApiKeyVariable}, then ${Sam3ClientOptions.SegmindApiKeyVariable})" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the result with --server", DefaultValueFactory = _ => 600 };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the PNG files and result.json (default: next to nothing, print only)" };
        var json = new Option<bool>("--json") { Description = "Print the output object as JSON" };

        var command = new Command("segment", "Segment one local image with the engine in this process")
        {
            image, text, points, labels, boxes, boxMode, threshold, pointsPerSide, predIou, maxMasks, masks, overlay, maskFormat,
            modelDir, variant, provider, server, key, timeout, output, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(image)!;
            if (!file.Exists)
            {
                return Fail($"image not found: {file.FullName}");
            }
            if (parse.GetValue(server) is { Length: > 0 } serverUrl)
            {
                var remote = new RemoteArguments
                {
                    Server = serverUrl,
                    Key = parse.GetValue(key),
                    Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                    Image = file.FullName,
                    TextPrompts = parse.GetValue(text) ?? [],
                    Points = parse.GetValue(points),
                    Labels = parse.GetValue(labels),
                    Boxes = parse.GetValue(boxes),
                    BoxMode = parse.GetValue(boxMode),
                    Threshold = parse.GetValue(threshold),
                    PointsPerSide = parse.GetValue(pointsPerSide),
                    PredIouThresh = parse.GetValue(predIou),
                    MaxMasks = parse.GetValue(maxMasks),
                    Masks = parse.GetValue(masks),
                    Overlay = parse.GetValue(overlay),
                    MaskFormat = parse.GetValue(maskFormat),
                    OutputDir = parse.GetValue(output),
                    Json = parse.GetValue(json),
                };
                return await RunRemoteAsync(remote, cancellationToken);
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
                Console.WriteLine(JsonSerializer.Serialize(rendered.Output, s_indented));
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
        File.WriteAllText(Path.Combine(dir, "result.json"), JsonSerializer.Serialize(rendered.Output, s_indented));
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

    /// <summary>What <c>segment --server</c> needs from the command line.</summary>
    private sealed record RemoteArguments
    {
        public required string Server { get; init; }
        public string? Key { get; init; }
        public TimeSpan Timeout { get; init; }
        public required string Image { get; init; }
        public required string[] TextPrompts { get; init; }
        public string? Points { get; init; }
        public string? Labels { get; init; }
        public string? Boxes { get; init; }
        public string? BoxMode { get; init; }
        public double? Threshold { get; init; }
        public int? PointsPerSide { get; init; }
        public double? PredIouThresh { get; init; }
        public int? MaxMasks { get; init; }
        public bool Masks { get; init; }
        public bool Overlay { get; init; }
        public string? MaskFormat { get; init; }
        public string? OutputDir { get; init; }
        public bool Json { get; init; }
    }

    /// <summary>
    /// Sends the request to a running service with the SDK (v2 submit, then polls with a progress line) and
    /// writes what the in-process path writes: the PNGs and result.json in the output folder, the output object
    /// with --json, else a summary.
    /// </summary>
    private static async Task<int> RunRemoteAsync(RemoteArguments args, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(args.Server, UriKind.Absolute, out var baseAddress) || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
        {
            return Fail($"--server must be an absolute http or https URL, not '{args.Server}'");
        }
        var apiKey = FirstGiven(args.Key, Environment.GetEnvironmentVariable(Sam3ClientOptions.ApiKeyVariable), Environment.GetEnvironmentVariable(Sam3ClientOptions.SegmindApiKeyVariable));
        if (apiKey is null)
        {
            return Fail($"--server needs an API key: pass --key, or set {Sam3ClientOptions.ApiKeyVariable}");
        }
        if (args.Timeout <= TimeSpan.Zero)
        {
            return Fail("--timeout must be positive");
        }

        Sam3Request request;
        try
        {
            request = BuildRequest(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or JsonException or InvalidOperationException)
        {
            return Fail(e.Message);
        }

        using var client = new Sam3Client(new Sam3ClientOptions { ApiKey = apiKey, BaseAddress = baseAddress });
        var progress = new WaitProgress(Console.Error, live: !Console.IsErrorRedirected);
        Sam3Result result;
        JsonObject output;
        try
        {
            var job = await client.SubmitAsync(request, cancellationToken);
            try
            {
                result = await job.WaitAsync(args.Timeout, TimeSpan.FromMilliseconds(500), progress, cancellationToken);
            }
            finally
            {
                progress.Finish();
            }
            output = result.RawOutput is { } raw
                ? JsonNode.Parse(raw.GetRawText())!.AsObject()
                : throw new InvalidDataException($"request {result.RequestId} completed without an output object");
            if (!string.IsNullOrEmpty(args.OutputDir))
            {
                await DownloadFilesAsync(client, args.OutputDir, output, cancellationToken);
            }
        }
        catch (InferenceFailedException e)
        {
            return Fail($"request {e.RequestId} failed: {e.Error ?? "no reason given"}");
        }
        catch (InferenceTimeoutException e)
        {
            return Fail(e.Message);
        }
        catch (Sam3ApiException e)
        {
            // Field errors the server's message does not already spell out.
            var extra = e.Errors.SelectMany(f => f.Value.Select(m => $"{f.Key}: {m}")).Where(m => !e.Message.Contains(m, StringComparison.Ordinal)).ToList();
            return Fail(e.Message + (extra.Count == 0 ? "" : " (" + string.Join("; ", extra) + ")"));
        }
        catch (HttpRequestException e)
        {
            return Fail($"cannot reach {baseAddress}: {e.Message}");
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail($"{baseAddress} did not answer in time: {e.Message}");
        }
        catch (InvalidDataException e)
        {
            return Fail(e.Message);
        }

        if (args.Json)
        {
            Console.WriteLine(output.ToJsonString(s_indented));
        }
        else
        {
            PrintRemoteSummary(result, output);
        }
        return 0;
    }

    private static Sam3Request BuildRequest(RemoteArguments args)
    {
        var request = Sam3Request.FromFile(args.Image);
        if (args.TextPrompts.Length == 1)
        {
            request.WithTextPrompt(args.TextPrompts[0]);
        }
        else if (args.TextPrompts.Length > 1)
        {
            request.WithTextPrompts(args.TextPrompts);
        }
        if (!string.IsNullOrEmpty(args.Points))
        {
            request.WithPoints(ParsePoints(args.Points, args.Labels));
        }
        if (!string.IsNullOrEmpty(args.Boxes))
        {
            request.WithBoxes(ParseBoxes(args.Boxes));
        }
        if (!string.IsNullOrEmpty(args.BoxMode))
        {
            request.WithBoxMode(args.BoxMode.Trim().ToLowerInvariant() switch
            {
                "exemplar" => Sam3BoxMode.Exemplar,
                "object" => Sam3BoxMode.Object,
                _ => throw new ArgumentException($"--box-mode must be exemplar or object, not '{args.BoxMode}'"),
            });
        }
        if (!string.IsNullOrEmpty(args.MaskFormat))
        {
            request.MaskFormat = args.MaskFormat.Trim().ToLowerInvariant() switch
            {
                "png" => Sam3MaskFormat.Png,
                "rle" => Sam3MaskFormat.Rle,
                "polygon" => Sam3MaskFormat.Polygon,
                _ => throw new ArgumentException($"--mask-format must be png, rle or polygon, not '{args.MaskFormat}'"),
            };
        }
        request.Threshold = args.Threshold;
        request.PointsPerSide = args.PointsPerSide;
        request.PredIouThresh = args.PredIouThresh;
        request.MaxMasks = args.MaxMasks;
        request.ReturnMasks = args.Masks;
        request.ReturnOverlay = args.Overlay;
        return request;
    }

    /// <summary>Points as the in-process path reads them: <c>[[x, y], ...]</c>, labels flat or nested once, one label for all.</summary>
    private static List<Sam3Point> ParsePoints(string pointsText, string? labelsText)
    {
        var coordinates = NumberRows(pointsText, 2, "--points", "[[x, y], ...]");
        var labels = string.IsNullOrEmpty(labelsText) ? [1] : Labels(labelsText);
        if (labels.Count != 1 && labels.Count != coordinates.Count)
        {
            throw new ArgumentException($"--labels: {labels.Count} labels for {coordinates.Count} points; give one label per point, or one for all");
        }
        return [.. coordinates.Select((c, i) => new Sam3Point(c[0], c[1], labels[labels.Count == 1 ? 0 : i] == 0 ? Sam3PointLabel.Background : Sam3PointLabel.Foreground))];
    }

    private static List<int> Labels(string text)
    {
        var node = JsonNode.Parse(text) as JsonArray ?? throw new FormatException("--labels must be a JSON array, e.g. [1, 0]");
        if (node.Count == 1 && node[0] is JsonArray nested)
        {
            node = nested;
        }
        return [.. node.Select(v => v?.GetValueKind() == JsonValueKind.Number && v.GetValue<double>() is var d && (d == 0 || d == 1)
            ? (int)d
            : throw new FormatException($"--labels: '{v?.ToJsonString()}' is not 0 or 1"))];
    }

    private static List<Sam3Box> ParseBoxes(string text) =>
        [.. NumberRows(text, 4, "--boxes", "[[x1, y1, x2, y2], ...]").Select(b => new Sam3Box(b[0], b[1], b[2], b[3]))];

    /// <summary>A JSON array of rows of <paramref name="width"/> numbers; a single bare row is accepted too.</summary>
    private static List<double[]> NumberRows(string text, int width, string option, string shape)
    {
        var root = JsonNode.Parse(text) as JsonArray ?? throw new FormatException($"{option} must be a JSON array {shape}");
        var rows = root.Count > 0 && root[0] is JsonArray ? root.Select(r => r as JsonArray).ToList() : [root];
        var result = new List<double[]>(rows.Count);
        foreach (var row in rows)
        {
            if (row is null || row.Count != width || row.Any(v => v?.GetValueKind() != JsonValueKind.Number))
            {
                throw new FormatException($"{option} must be {shape}: '{row?.ToJsonString() ?? "null"}' is not {width} numbers");
            }
            result.Add([.. row.Select(v => v!.GetValue<double>())]);
        }
        return result;
    }

    /// <summary>
    /// Downloads every image of <paramref name="output"/> (preview, overlay, PNG masks) into <paramref name="dir"/>
    /// under its media name, points the fields at those names, and writes result.json, as the in-process path does.
    /// </summary>
    private static async Task DownloadFilesAsync(Sam3Client client, string dir, JsonObject output, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dir);
        var written = 0;
        async Task<string?> SaveAsync(JsonNode? field, string fallbackName)
        {
            if (field?.GetValueKind() != JsonValueKind.String)
            {
                return null;
            }
            var reference = field.GetValue<string>();
            var name = Uri.TryCreate(reference, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
                ? Path.GetFileName(Uri.UnescapeDataString(url.AbsolutePath))
                : fallbackName;
            if (string.IsNullOrEmpty(name) || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            {
                name = fallbackName;
            }
            await File.WriteAllBytesAsync(Path.Combine(dir, name), await client.GetMediaAsync(reference, cancellationToken), cancellationToken);
            written++;
            return name;
        }

        if (await SaveAsync(output["preview"], OutputRenderer.PreviewName) is { } preview)
        {
            output["preview"] = preview;
        }
        if (await SaveAsync(output["overlay"], OutputRenderer.OverlayName) is { } overlay)
        {
            output["overlay"] = overlay;
        }
        if (output["masks"] is JsonArray maskList)
        {
            foreach (var mask in maskList.OfType<JsonObject>())
            {
                var index = mask["index"]?.GetValueKind() == JsonValueKind.Number ? mask["index"]!.GetValue<int>() : 0;
                if (await SaveAsync(mask["mask"], OutputRenderer.MaskName(index)) is { } name)
                {
                    mask["mask"] = name;
                }
            }
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "result.json"), output.ToJsonString(s_indented), cancellationToken);
        Console.Error.WriteLine($"wrote {written + 1} file(s) to {Path.GetFullPath(dir)}");
    }

    private static void PrintRemoteSummary(Sam3Result result, JsonObject output)
    {
        var c = CultureInfo.InvariantCulture;
        var typed = result.Output;
        var model = result.Metrics.InferenceTime is { } s ? $", model time {s.ToString("F3", c)} s" : "";
        Console.WriteLine($"{typed?.Mode ?? output["mode"]?.ToString()}: {typed?.Count ?? 0} object(s) in {typed?.Width}x{typed?.Height}{model}, request {result.RequestId}");
        foreach (var mask in typed?.Masks ?? [])
        {
            var b = mask.Box;
            var box = string.Join(", ", new[] { b.X1, b.Y1, b.X2, b.Y2 }.Select(v => v.ToString("F1", c)));
            Console.WriteLine($"  #{mask.Index} score {mask.Score.ToString("F4", c)} box [{box}] area {mask.Area} prompt {mask.PromptIndex}");
        }
        var metrics = result.Metrics.Values.Where(kv => kv.Key != "inference_time").ToList();
        if (metrics.Count > 0)
        {
            Console.WriteLine("  metrics: " + string.Join(", ", metrics.Select(kv => $"{kv.Key} {(kv.Value * 1000).ToString("F1", c)} ms")));
        }
    }

    private static string? FirstGiven(params ReadOnlySpan<string?> values)
    {
        foreach (var v in values)
        {
            if (!string.IsNullOrWhiteSpace(v))
            {
                return v.Trim();
            }
        }
        return null;
    }

    /// <summary>
    /// The wait's progress: on a terminal one line rewritten in place ("QUEUED 0.5 s"); redirected, a plain line
    /// whenever the status changes and every 10 s while it does not, so logs stay short.
    /// </summary>
    private sealed class WaitProgress(TextWriter writer, bool live) : IProgress<Sam3JobStatus>
    {
        private static readonly TimeSpan s_plainEvery = TimeSpan.FromSeconds(10);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private string? _lastStatus;
        private TimeSpan _lastLine;
        private int _width;

        public void Report(Sam3JobStatus value)
        {
            var elapsed = _clock.Elapsed;
            var line = $"request {value.RequestId}: {value.RawStatus} {elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s";
            if (live)
            {
                writer.Write("\r" + line.PadRight(_width));
                _width = line.Length;
                writer.Flush();
                return;
            }
            if (value.RawStatus != _lastStatus || elapsed - _lastLine >= s_plainEvery)
            {
                writer.WriteLine(line);
                _lastStatus = value.RawStatus;
                _lastLine = elapsed;
            }
        }

        /// <summary>Ends the live line, so what follows starts on a fresh one.</summary>
        public void Finish()
        {
            if (live && _width > 0)
            {
                writer.WriteLine();
            }
        }
    }
}
