using System.IO.Compression;
using System.Text.Json.Nodes;
using Sam3Serve.Tests.Common;

namespace Sam3Serve.Reference.Tests;

/// <summary>
/// ../shared/reference: the bundle, the images and the reference implementation's results per case (read its
/// README). Loaded once per test run; every accessor skips the calling test when the folder is absent.
/// </summary>
public sealed class ReferenceSet
{
    private static readonly Lazy<ReferenceSet> Loaded = new(() => new ReferenceSet(SharedPaths.ReferenceDir));

    private ReferenceSet(string directory)
    {
        Directory = directory;
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(directory, "reference.json.gz")), CompressionMode.Decompress);
        var root = JsonNode.Parse(gzip)!.AsObject();
        var bounds = root["bounds"]!;
        Bounds = new ParityBounds(
            bounds["score_abs_max"]!.GetValue<double>(),
            bounds["box_px_max"]!.GetValue<double>(),
            bounds["mask_iou_min"]!.GetValue<double>());
        var images = root["images"]!.AsObject();
        Cases = root["cases"]!.AsArray().Select(c => ReferenceCase.Parse(c!.AsObject(), images)).ToList();
    }

    /// <summary>The reference set of this checkout (skips the calling test without ../shared/reference).</summary>
    public static ReferenceSet Instance => Loaded.Value;

    /// <summary>The folder: bundle/, images/, reference.json.gz.</summary>
    public string Directory { get; }

    /// <summary>The model bundle the results were computed with.</summary>
    public string BundleDirectory => Path.Combine(Directory, "bundle");

    /// <summary>The bounds every case must meet.</summary>
    public ParityBounds Bounds { get; }

    /// <summary>The cases in file order.</summary>
    public IReadOnlyList<ReferenceCase> Cases { get; }

    /// <summary>The bytes of a case's image (a file of the reference folder, or a shared test photo).</summary>
    public byte[] ImageBytes(ReferenceCase c) => File.ReadAllBytes(ImagePath(c));

    private string ImagePath(ReferenceCase c) => c.ImageFile is { } file
        ? Path.Combine(Directory, file)
        : SharedPaths.Image(Path.GetFileName(c.ImageSource));
}

/// <summary>Per object: score within <paramref name="Score"/>, box within <paramref name="BoxPixels"/>, mask IoU ≥ <paramref name="MaskIou"/>.</summary>
public sealed record ParityBounds(double Score, double BoxPixels, double MaskIou);

/// <summary>One reference case: the prompt and the expected objects (and the diagnostic PIL-pixel variant).</summary>
public sealed record ReferenceCase(
    string Id,
    string Kind,
    string Image,
    string? ImageFile,
    string ImageSource,
    int Width,
    int Height,
    JsonObject Prompt,
    double? Threshold,
    IReadOnlyList<ReferenceObject> Objects,
    IReadOnlyList<ReferenceObject>? Pil)
{
    /// <summary>Concept cases (text and/or box exemplars) as opposed to tracker cases (points, boxes as objects).</summary>
    public bool IsConcept => Kind == "concept";

    public static ReferenceCase Parse(JsonObject c, JsonObject images)
    {
        var imageName = c["image"]!.GetValue<string>();
        var image = images[imageName]!;
        var width = image["width"]!.GetValue<int>();
        var height = image["height"]!.GetValue<int>();
        var listName = c["kind"]!.GetValue<string>() == "concept" ? "detections" : "objects";
        var objects = ReadObjects(c[listName]!.AsArray(), null, width, height);
        IReadOnlyList<ReferenceObject>? pil = null;
        if (c["variants"]?["pil"]?[listName] is JsonArray pilObjects)
        {
            pil = ReadObjects(pilObjects, objects, width, height);
        }
        return new ReferenceCase(
            c["id"]!.GetValue<string>(),
            c["kind"]!.GetValue<string>(),
            imageName,
            image["file"]?.GetValue<string>(),
            image["source"]!.GetValue<string>(),
            width,
            height,
            c["prompt"]!.AsObject(),
            c["threshold"]?.GetValue<double>(),
            objects,
            pil);
    }

    private static List<ReferenceObject> ReadObjects(JsonArray list, IReadOnlyList<ReferenceObject>? basis, int width, int height)
    {
        var objects = new List<ReferenceObject>();
        for (var i = 0; i < list.Count; i++)
        {
            var o = list[i]!.AsObject();
            var mask = ReferenceMasks.Decode(o["mask"]!.AsObject(), basis?[i].Mask, width, height);
            var specOrder = o["mask_spec_order"] is JsonObject spec ? ReferenceMasks.Decode(spec, mask, width, height) : null;
            objects.Add(new ReferenceObject(
                o["score"]!.GetValue<double>(),
                o["box"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(),
                mask,
                specOrder));
        }
        return objects;
    }
}

/// <summary>One expected detection or object; masks are row-major, 1 inside.</summary>
public sealed record ReferenceObject(double Score, double[] Box, byte[] Mask, byte[]? MaskSpecOrder);
