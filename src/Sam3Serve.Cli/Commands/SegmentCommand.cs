using System.CommandLine;
using Sam3Serve.Client;

namespace Sam3Serve.Cli.Commands;

/// <summary>
/// <c>sam3serve segment IMAGE [--text T] [--points "[[x,y]]"] [--labels "[1]"] [--boxes "[[x1,y1,x2,y2]]"] [--box-labels "[1]"] [--tiles auto|RxC] ...</c>:
/// runs the engine in this process on one local image, with the same request rules and rendering as the server;
/// with <c>--server URL</c> it sends the request to a running service through the SDK instead (v2, polled).
/// </summary>
public static class SegmentCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var image = new Argument<FileInfo>("IMAGE") { Description = "A local JPEG, PNG or WebP file" };
        var text = new Option<string[]>("--text", "-t") { Description = "Concept prompt (repeat for several)", AllowMultipleArgumentsPerToken = false };
        var points = new Option<string>("--points") { Description = "Point prompts, e.g. \"[[300,400]]\" (interactive mode)" };
        var labels = new Option<string>("--labels") { Description = "Point labels, e.g. \"[1,0]\" (1 foreground, 0 background; default all 1)" };
        var boxes = new Option<string>("--boxes") { Description = "Boxes, e.g. \"[[10,20,200,220]]\" (exemplars, or objects with --box-mode object)" };
        var boxLabels = new Option<string>("--box-labels") { Description = "Box labels, one per box, e.g. \"[1,0]\" (1 positive, 0 negative exemplar: \"not this kind\"; default all 1)" };
        var boxMode = new Option<string>("--box-mode") { Description = "exemplar (default) or object" };
        var threshold = new Option<double?>("--threshold") { Description = "Concept score threshold (default 0.5)" };
        var pointsPerSide = new Option<int?>("--points-per-side") { Description = "Automatic-mode grid (default 32; 0 turns it off)" };
        var predIou = new Option<double?>("--pred-iou-thresh") { Description = "Automatic-mode IoU filter (default 0.88)" };
        var maxMasks = new Option<int?>("--max-masks") { Description = "Keep at most this many masks (default 0 = all)" };
        var tiles = new Option<string>("--tiles") { Description = "off (default), auto, or RxC (e.g. 3x4): tiles for a closer look at a large image" };
        var tileOverlap = new Option<double?>("--tile-overlap") { Description = "Fraction of a tile shared with its neighbour, 0-0.5 (default 0.2)" };
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
            image, text, points, labels, boxes, boxLabels, boxMode, threshold, pointsPerSide, predIou, maxMasks, tiles, tileOverlap, masks, overlay, maskFormat,
            modelDir, variant, provider, server, key, timeout, output, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(image)!;
            if (!file.Exists)
            {
                return Fail($"image not found: {file.FullName}");
            }
            var args = new SegmentArguments
            {
                Image = file.FullName,
                TextPrompts = parse.GetValue(text) ?? [],
                Points = parse.GetValue(points),
                Labels = parse.GetValue(labels),
                Boxes = parse.GetValue(boxes),
                BoxLabels = parse.GetValue(boxLabels),
                BoxMode = parse.GetValue(boxMode),
                Threshold = parse.GetValue(threshold),
                PointsPerSide = parse.GetValue(pointsPerSide),
                PredIouThresh = parse.GetValue(predIou),
                MaxMasks = parse.GetValue(maxMasks),
                Tiles = parse.GetValue(tiles),
                TileOverlap = parse.GetValue(tileOverlap),
                Masks = parse.GetValue(masks),
                Overlay = parse.GetValue(overlay),
                MaskFormat = parse.GetValue(maskFormat),
                OutputDir = parse.GetValue(output),
                Json = parse.GetValue(json),
                ModelDir = parse.GetValue(modelDir)!,
                Variant = parse.GetValue(variant),
                ExecutionProvider = parse.GetValue(provider)!,
                Server = parse.GetValue(server),
                Key = parse.GetValue(key),
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
            };
            return args.Server is { Length: > 0 }
                ? await SegmentRemote.RunAsync(args, cancellationToken)
                : await SegmentInProcess.RunAsync(args, cancellationToken);
        });
        return command;
    }

    /// <summary>Prints the error and returns the exit code for it.</summary>
    internal static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
