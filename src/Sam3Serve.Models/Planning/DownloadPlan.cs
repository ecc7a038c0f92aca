using Sam3Serve.Engine.Bundle;
using System.Globalization;
using System.Text;
using Sam3Serve.Models.Sources;

namespace Sam3Serve.Models.Planning;

/// <summary>One file a pull fetches.</summary>
/// <param name="Name">Installed file name (the asset's name).</param>
/// <param name="Url">Where to fetch it.</param>
/// <param name="Size">Expected bytes, when the source says.</param>
/// <param name="Sha256">Expected lower-case hex sha256, when the source gives one.</param>
/// <param name="Role">The <see cref="BundleRole.Id"/>, <see cref="BundleRole.VocabularyId"/> or <see cref="BundleRole.TokenizerJsonId"/>; null for a companion file.</param>
/// <param name="Variant">The file's precision variant (ONNX files and their companions).</param>
/// <param name="Skipped">Variants earlier in the order that the source does not have for this role.</param>
public sealed record PlannedFile(string Name, Uri Url, long? Size, string? Sha256, string? Role, string? Variant, IReadOnlyList<string> Skipped)
{
    /// <summary>The CLIP merges file is derived from this tokenizer.json when it is installed.</summary>
    public bool DerivesVocabulary => Role == BundleRole.TokenizerJsonId;
}

/// <summary>
/// What a pull will fetch, decided from the source's listing before the first byte: per role the variant chosen,
/// the files in download order (smallest first, so a bad listing fails before the large files), and notes on what
/// is left out.
/// </summary>
/// <param name="Source">The source read.</param>
/// <param name="ExecutionProvider">The provider the order is for.</param>
/// <param name="Order">The variant order applied.</param>
/// <param name="Files">Files to fetch, in download order.</param>
/// <param name="Notes">Sentences on what the bundle lacks (e.g. no tracker pair).</param>
public sealed record DownloadPlan(BundleSource Source, string ExecutionProvider, IReadOnlyList<string> Order, IReadOnlyList<PlannedFile> Files, IReadOnlyList<string> Notes)
{
    /// <summary>True when the tracker pair is part of the plan.</summary>
    public bool HasTracker => BundleRole.All.Where(r => r.IsTracker).All(r => Files.Any(f => f.Role == r.Id));

    /// <summary>The variant recorded as the bundle's: the first of the order (what was asked for).</summary>
    public string PreferredVariant => Order[0];

    /// <summary>Sum of the known sizes.</summary>
    public long TotalBytes => Files.Sum(f => f.Size ?? 0);

    /// <summary>The plan as printed before the download starts.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Model bundle from {Source}, provider {ExecutionProvider}, variant order {string.Join(" > ", Order)}:\n");
        foreach (var file in Files)
        {
            var role = file.Role ?? "(external data)";
            var variant = file.Variant ?? "-";
            var size = file.Size is { } s ? TerminalDownloadProgress.Bytes(s) : "size unknown";
            var remark = new List<string>();
            if (file.Skipped.Count > 0)
            {
                remark.Add($"no {string.Join("/", file.Skipped)} on the source");
            }
            if (file.DerivesVocabulary)
            {
                remark.Add($"{BundleFiles.Vocabulary} is derived from it");
            }
            if (file.Sha256 is null)
            {
                remark.Add("no digest: size check only");
            }
            text.Append(CultureInfo.InvariantCulture,
                $"  {role,-36} {variant,-6} {file.Name,-44} {size,10}{(remark.Count > 0 ? "  (" + string.Join("; ", remark) + ")" : "")}\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"  total {TerminalDownloadProgress.Bytes(TotalBytes)} in {Files.Count} file(s)\n");
        foreach (var note in Notes)
        {
            text.Append(CultureInfo.InvariantCulture, $"  note: {note}\n");
        }
        return text.ToString();
    }
}
