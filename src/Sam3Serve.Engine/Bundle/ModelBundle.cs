using Sam3Serve.Engine.Onnx.Optimization;

namespace Sam3Serve.Engine.Bundle;

/// <summary>Which concept-path export a bundle holds.</summary>
public enum ConceptLayout
{
    /// <summary>3 files: vision encoder, text encoder, geo-encoder-mask-decoder.</summary>
    V2,
    /// <summary>4 files: vision encoder, text encoder, geometry encoder, decoder on prompt features.</summary>
    V1,
}

/// <summary>The concept (PCS) files of a bundle.</summary>
/// <param name="Layout">v2 or v1 export.</param>
/// <param name="VisionEncoder">Path of the detector vision encoder.</param>
/// <param name="TextEncoder">Path of the text encoder.</param>
/// <param name="Decoder">Path of the decoder (v2: geo-encoder-mask-decoder; v1: decoder on prompt features).</param>
/// <param name="GeometryEncoder">v1 only: path of the geometry encoder.</param>
public sealed record ConceptFiles(ConceptLayout Layout, string VisionEncoder, string TextEncoder, string Decoder, string? GeometryEncoder);

/// <summary>The interactive/automatic (tracker) files of a bundle.</summary>
/// <param name="VisionEncoder">Path of the tracker vision encoder.</param>
/// <param name="Decoder">Path of the prompt-encoder + mask-decoder.</param>
public sealed record TrackerFiles(string VisionEncoder, string Decoder);

/// <summary>
/// A model folder resolved to concrete files: the concept set (v2 or v1, told apart by the decoder's input names),
/// the tracker set and the vocabulary. Either set may be absent; <see cref="Missing"/> says what a mode lacks.
/// </summary>
public sealed class ModelBundle
{
    private static readonly string[] V2DecoderInputs = ["text_features", "text_mask", "input_boxes", "input_boxes_labels"];
    private static readonly string[] V1DecoderInputs = ["prompt_features", "prompt_mask"];

    private ModelBundle(string directory, string variant, ConceptFiles? concept, TrackerFiles? tracker, string vocabulary, BundleManifest? manifest, IReadOnlyList<string> missing)
    {
        Directory = directory;
        Variant = variant;
        Concept = concept;
        Tracker = tracker;
        Vocabulary = vocabulary;
        Manifest = manifest;
        Missing = missing;
        var variants = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in new[] { concept?.VisionEncoder, concept?.TextEncoder, concept?.Decoder, concept?.GeometryEncoder, tracker?.VisionEncoder, tracker?.Decoder })
        {
            if (path is not null)
            {
                var name = Path.GetFileName(path);
                variants[name] = manifest?.Files.FirstOrDefault(f => f.Name == name)?.Variant ?? BundleRole.Parse(name)?.Variant ?? "fp32";
            }
        }
        FileVariants = variants;
    }

    /// <summary>The bundle folder.</summary>
    public string Directory { get; }
    /// <summary>
    /// The variant whose files were chosen ("fp32" for plain names); for a mixed bundle recorded by a pull, the
    /// variant that pull preferred (<see cref="FileVariants"/> has each file's own).
    /// </summary>
    public string Variant { get; }
    /// <summary>The variant of each ONNX file in use, by file name.</summary>
    public IReadOnlyDictionary<string, string> FileVariants { get; }
    /// <summary>True when the files in use are of more than one variant.</summary>
    public bool IsMixed => FileVariants.Values.Distinct(StringComparer.Ordinal).Count() > 1;
    /// <summary>Concept files, or null when the set is incomplete.</summary>
    public ConceptFiles? Concept { get; }
    /// <summary>Tracker files, or null when the set is incomplete.</summary>
    public TrackerFiles? Tracker { get; }
    /// <summary>Path of the CLIP merges file.</summary>
    public string Vocabulary { get; }
    /// <summary>manifest.json, if present.</summary>
    public BundleManifest? Manifest { get; }
    /// <summary>True when the manifest marks the bundle as the generated test fixture.</summary>
    public bool IsFixture => Manifest?.Fixture == true;
    /// <summary>Human-readable notes on what is missing (empty when the bundle is complete).</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>
    /// Resolves <paramref name="dir"/>. When <c>manifest.json</c> records each file's role (a pull from a release,
    /// possibly of mixed variants) and <paramref name="variant"/> is null or the variant that pull preferred, the
    /// recorded files are used. Otherwise <paramref name="variant"/> null picks the plain (fp32) names when a complete
    /// concept set has them, else the first variant with a complete concept set. Throws when no mode is usable.
    /// </summary>
    public static ModelBundle Open(string dir, string? variant)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        if (!System.IO.Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"model folder not found: {dir} (run 'sam3serve models pull' or 'sam3serve models fixture')");
        }
        var manifest = BundleManifest.TryRead(dir);
        if (RecordsRoles(manifest, variant))
        {
            return OpenRecorded(dir, manifest!, variant);
        }
        var candidates = variant is null ? DiscoverVariants(dir) : [NormaliseVariant(variant)];

        var missing = new List<string>();
        ConceptFiles? concept = null;
        var chosen = candidates[0];
        foreach (var candidate in candidates)
        {
            var notes = new List<string>();
            concept = FindConcept(dir, candidate, notes);
            if (concept is not null)
            {
                chosen = candidate;
                break;
            }
            if (candidate == candidates[0])
            {
                missing.AddRange(notes);
            }
        }

        var tracker = FindTracker(dir, chosen, variant is null, missing);
        var vocabulary = Path.Combine(dir, BundleFiles.Vocabulary);
        if (!File.Exists(vocabulary))
        {
            missing.Add($"vocabulary {BundleFiles.Vocabulary}");
            if (concept is not null)
            {
                throw new FileNotFoundException($"model folder {dir}: the concept files are there but the text vocabulary {BundleFiles.Vocabulary} is missing", vocabulary);
            }
        }
        if (concept is null && tracker is null)
        {
            throw new FileNotFoundException(
                $"model folder {dir} has no usable model (variant {(variant ?? "auto: " + string.Join(", ", candidates))}); missing: {string.Join("; ", missing)}");
        }
        return new ModelBundle(dir, chosen, concept, tracker, vocabulary, manifest, missing);
    }

    private static string NormaliseVariant(string variant) => variant is "" or "fp32" ? "fp32" : variant;

    private static bool RecordsRoles(BundleManifest? manifest, string? variant) =>
        manifest is not null
        && manifest.Files.Any(f => BundleRole.FromId(f.Role) is not null)
        && (variant is null || NormaliseVariant(variant) == manifest.Variant || NormaliseVariant(variant) == manifest.BaseVariant);

    // Each role's file is the one the manifest names for it; the files may be of different variants. A bundle with its
    // CPU form recorded (variant "int8", base_variant the one before) names two files for some roles: the int8 one is
    // served unless the base variant is asked for, and a role the optimizer left as it was has only its base file.
    private static ModelBundle OpenRecorded(string dir, BundleManifest manifest, string? requested)
    {
        var optimizedBundle = manifest.Variant == CpuGraphOptimizer.Variant && manifest.BaseVariant is not null;
        var serveOptimized = optimizedBundle && (requested is null || NormaliseVariant(requested) == manifest.Variant);
        var missing = new List<string>();
        string? Recorded(BundleRole role)
        {
            var entries = manifest.Files.Where(f => f.Role == role.Id);
            var entry = !optimizedBundle
                ? entries.FirstOrDefault()
                : serveOptimized
                    ? entries.OrderBy(f => f.Variant == CpuGraphOptimizer.Variant ? 0 : 1).FirstOrDefault()
                    : entries.FirstOrDefault(f => f.Variant != CpuGraphOptimizer.Variant);
            var path = entry is null ? null : Path.Combine(dir, entry.Name);
            if (path is null || !File.Exists(path))
            {
                missing.Add($"{(role.IsTracker ? "tracker" : "concept")}: {entry?.Name ?? role.FileName + " (any variant)"}");
                return null;
            }
            return path;
        }

        var vision = Recorded(BundleRole.VisionEncoder);
        var text = Recorded(BundleRole.TextEncoder);
        var decoder = Recorded(BundleRole.Decoder);
        ConceptFiles? concept = null;
        if (decoder is not null)
        {
            var inputs = OnnxInputNames.Read(decoder);
            if (!V2DecoderInputs.All(inputs.Contains))
            {
                missing.Add($"concept: {Path.GetFileName(decoder)} has inputs [{string.Join(", ", inputs)}], not those of the v2 SAM 3 decoder");
                decoder = null;
            }
        }
        if (vision is not null && text is not null && decoder is not null)
        {
            concept = new ConceptFiles(ConceptLayout.V2, vision, text, decoder, null);
        }
        var trackerVision = Recorded(BundleRole.TrackerVisionEncoder);
        var trackerDecoder = Recorded(BundleRole.TrackerDecoder);
        var tracker = trackerVision is not null && trackerDecoder is not null ? new TrackerFiles(trackerVision, trackerDecoder) : null;

        var vocabularyName = manifest.Files.FirstOrDefault(f => f.Role == BundleRole.VocabularyId)?.Name ?? BundleFiles.Vocabulary;
        var vocabulary = Path.Combine(dir, vocabularyName);
        if (!File.Exists(vocabulary))
        {
            missing.Add($"vocabulary {vocabularyName}");
            if (concept is not null)
            {
                throw new FileNotFoundException($"model folder {dir}: the concept files are there but the text vocabulary {vocabularyName} is missing", vocabulary);
            }
        }
        if (concept is null && tracker is null)
        {
            throw new FileNotFoundException($"model folder {dir} has no usable model (files recorded in {BundleFiles.Manifest}); missing: {string.Join("; ", missing)}");
        }
        var variant = optimizedBundle && !serveOptimized
            ? manifest.BaseVariant!
            : manifest.Variant ?? manifest.Files.FirstOrDefault(f => f.Role == BundleRole.VisionEncoder.Id)?.Variant ?? "fp32";
        return new ModelBundle(dir, variant, concept, tracker, vocabulary, manifest, missing);
    }

    private static List<string> DiscoverVariants(string dir)
    {
        var stem = Path.GetFileNameWithoutExtension(BundleFiles.VisionEncoder);
        var variants = new List<string> { "fp32" };
        foreach (var file in System.IO.Directory.EnumerateFiles(dir, stem + "-*.onnx").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            variants.Add(name[(stem.Length + 1)..]);
        }
        return variants;
    }

    private static string VariantPath(string dir, string baseName, string variant) => Path.Combine(dir, BundleFiles.ForVariant(baseName, variant));

    private static ConceptFiles? FindConcept(string dir, string variant, List<string> missing)
    {
        var vision = VariantPath(dir, BundleFiles.VisionEncoder, variant);
        var text = VariantPath(dir, BundleFiles.TextEncoder, variant);
        var complete = true;
        foreach (var path in new[] { vision, text })
        {
            if (!File.Exists(path))
            {
                missing.Add($"concept: {Path.GetFileName(path)}");
                complete = false;
            }
        }

        // usls's export_v2.py writes the v2 decoder as decoder.onnx, so both names are checked by their inputs.
        string? v2 = null;
        string? v1 = null;
        foreach (var baseName in new[] { BundleFiles.GeoEncoderMaskDecoder, BundleFiles.DecoderV1 })
        {
            var path = VariantPath(dir, baseName, variant);
            if (!File.Exists(path))
            {
                continue;
            }
            var inputs = OnnxInputNames.Read(path);
            if (V2DecoderInputs.All(inputs.Contains))
            {
                v2 ??= path;
            }
            else if (V1DecoderInputs.All(inputs.Contains))
            {
                v1 ??= path;
            }
            else
            {
                missing.Add($"concept: {Path.GetFileName(path)} has inputs [{string.Join(", ", inputs)}], neither a v2 nor a v1 SAM 3 decoder");
            }
        }
        var geometry = VariantPath(dir, BundleFiles.GeometryEncoderV1, variant);
        if (v2 is null && v1 is not null && !File.Exists(geometry))
        {
            missing.Add($"concept (v1 layout): {Path.GetFileName(geometry)}");
            v1 = null;
        }
        if (v2 is null && v1 is null)
        {
            missing.Add($"concept: {BundleFiles.ForVariant(BundleFiles.GeoEncoderMaskDecoder, variant)} (v2) or {BundleFiles.ForVariant(BundleFiles.DecoderV1, variant)} + {BundleFiles.ForVariant(BundleFiles.GeometryEncoderV1, variant)} (v1)");
            complete = false;
        }
        if (!complete)
        {
            return null;
        }
        return v2 is not null
            ? new ConceptFiles(ConceptLayout.V2, vision, text, v2, null)
            : new ConceptFiles(ConceptLayout.V1, vision, text, v1!, geometry);
    }

    private static TrackerFiles? FindTracker(string dir, string variant, bool anyVariant, List<string> missing)
    {
        // Tracker files are often published in fewer precisions than the concept files; in auto mode take any.
        var variants = new List<string> { variant };
        if (anyVariant)
        {
            variants.AddRange(DiscoverTrackerVariants(dir).Where(v => v != variant));
        }
        foreach (var v in variants)
        {
            var vision = VariantPath(dir, BundleFiles.TrackerVisionEncoder, v);
            var decoder = VariantPath(dir, BundleFiles.TrackerDecoder, v);
            if (File.Exists(vision) && File.Exists(decoder))
            {
                return new TrackerFiles(vision, decoder);
            }
        }
        foreach (var baseName in new[] { BundleFiles.TrackerVisionEncoder, BundleFiles.TrackerDecoder })
        {
            var path = VariantPath(dir, baseName, variant);
            if (!File.Exists(path))
            {
                missing.Add($"tracker: {Path.GetFileName(path)}");
            }
        }
        return null;
    }

    private static IEnumerable<string> DiscoverTrackerVariants(string dir)
    {
        var stem = Path.GetFileNameWithoutExtension(BundleFiles.TrackerDecoder);
        yield return "fp32";
        foreach (var file in System.IO.Directory.EnumerateFiles(dir, stem + "-*.onnx").Order(StringComparer.Ordinal))
        {
            yield return Path.GetFileNameWithoutExtension(file)[(stem.Length + 1)..];
        }
    }
}
