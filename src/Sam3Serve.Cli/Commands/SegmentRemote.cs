using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Client;
using Sam3Serve.Imaging.Rendering;
using static Sam3Serve.Cli.Commands.SegmentCommand;

namespace Sam3Serve.Cli.Commands;

/// <summary>
/// <c>segment --server URL</c>: sends the request to a running service with the SDK (v2 submit, then polls with a
/// progress line) and writes what the in-process path writes.
/// </summary>
internal static class SegmentRemote
{
    public static async Task<int> RunAsync(SegmentArguments args, CancellationToken cancellationToken)
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
        var progress = new SegmentWaitProgress(Console.Error, live: !Console.IsErrorRedirected);
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
                await SegmentOutputWriter.WriteFolderAsync(args.OutputDir, output, dir => DownloadMediaAsync(client, dir, output, cancellationToken), cancellationToken);
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
            SegmentOutputWriter.PrintJson(output);
        }
        else
        {
            PrintSummary(result, output);
        }
        return 0;
    }

    private static Sam3Request BuildRequest(SegmentArguments args)
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
            request.WithPoints(SegmentPromptParser.Points(args.Points, args.Labels));
        }
        if (!string.IsNullOrEmpty(args.Boxes))
        {
            request.WithBoxes(SegmentPromptParser.Boxes(args.Boxes, args.BoxLabels));
        }
        else if (!string.IsNullOrEmpty(args.BoxLabels))
        {
            throw new ArgumentException("--box-labels labels the boxes of --boxes; give --boxes too");
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
        if (!string.IsNullOrEmpty(args.Tiles))
        {
            request.Tiles = Sam3Tiles.Parse(args.Tiles);
        }
        request.TileOverlap = args.TileOverlap;
        request.ReturnMasks = args.Masks;
        request.ReturnOverlay = args.Overlay;
        return request;
    }

    /// <summary>
    /// Downloads every image of <paramref name="output"/> (preview, overlay, PNG masks) into <paramref name="dir"/>
    /// under its media name and points the fields at those names, so result.json reads as the in-process one does.
    /// </summary>
    private static async Task<int> DownloadMediaAsync(Sam3Client client, string dir, JsonObject output, CancellationToken cancellationToken)
    {
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
        return written;
    }

    private static void PrintSummary(Sam3Result result, JsonObject output)
    {
        var typed = result.Output;
        var model = result.Metrics.InferenceTime is { } s ? $", model time {s.ToString("F3", CultureInfo.InvariantCulture)} s" : "";
        var metrics = result.Metrics.Values.Where(kv => kv.Key != "inference_time").ToList();
        SegmentOutputWriter.PrintSummary(
            typed?.Mode ?? output["mode"]?.ToString(), typed?.Count ?? 0, typed?.Width, typed?.Height,
            $"{model}, request {result.RequestId}",
            (typed?.Masks ?? []).Select(m => new SegmentOutputWriter.SummaryMask(m.Index, m.Score, [m.Box.X1, m.Box.Y1, m.Box.X2, m.Box.Y2], m.Area, m.PromptIndex)),
            "metrics", metrics.Count > 0 ? metrics : null);
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
}
