using Sam3Serve.Engine.Bundle;
using Sam3Serve.Models.Sources;

namespace Sam3Serve.Models.Planning;

/// <summary>
/// Chooses, per role, the first variant of the order that a source's listing holds. The concept set (vision encoder,
/// text encoder, decoder) and a tokenizer are required; the tracker pair is taken only when both of its files are
/// there. External-data companions (<c>X.onnx.data</c>, <c>X.onnx_data</c>) travel with their graph.
/// </summary>
public static class BundlePlanner
{
    private const string TokenizerJson = "tokenizer.json";

    /// <summary>Plans a pull of <paramref name="listing"/> in <paramref name="order"/>.</summary>
    /// <exception cref="ModelSourceException">No complete concept set, or no tokenizer.</exception>
    public static DownloadPlan Plan(RemoteListing listing, string executionProvider, IReadOnlyList<string> order)
    {
        ArgumentNullException.ThrowIfNull(listing);
        ArgumentNullException.ThrowIfNull(order);
        var offered = new Dictionary<string, Dictionary<string, RemoteAsset>>(StringComparer.Ordinal);
        foreach (var asset in listing.Assets)
        {
            if (BundleRole.Parse(asset.Name) is { } parsed)
            {
                var variants = offered.TryGetValue(parsed.Role.Id, out var v) ? v : offered[parsed.Role.Id] = new(StringComparer.Ordinal);
                variants[parsed.Variant] = asset;
            }
        }

        var chosen = new Dictionary<BundleRole, PlannedFile>();
        foreach (var role in BundleRole.All)
        {
            var variants = offered.GetValueOrDefault(role.Id) ?? [];
            var index = order.ToList().FindIndex(variants.ContainsKey);
            if (index >= 0)
            {
                var asset = variants[order[index]];
                chosen[role] = new PlannedFile(asset.Name, asset.Url, asset.Size, asset.Sha256, role.Id, order[index], [.. order.Take(index)]);
            }
        }

        var vocabulary = Vocabulary(listing);
        var missingConcept = BundleRole.All.Where(r => !r.IsTracker && !chosen.ContainsKey(r)).ToList();
        if (missingConcept.Count > 0 || vocabulary is null)
        {
            var lacks = missingConcept.Select(r => Describe(r, offered, order)).ToList();
            if (vocabulary is null)
            {
                lacks.Add($"a tokenizer ({TokenizerJson} or {BundleFiles.Vocabulary})");
            }
            throw new ModelSourceException(ModelSourceProblem.NoUsableConceptSet,
                $"{listing.Source} has no usable concept set for provider {executionProvider} (variant order {string.Join(" > ", order)}): it lacks {string.Join("; ", lacks)}. "
                + $"It holds {listing.Assets.Count} file(s): {string.Join(", ", listing.Assets.Select(a => a.Name).Order(StringComparer.Ordinal))}. "
                + "Ask for a variant it has with --variant, or supply the files another way");
        }

        var notes = new List<string>();
        var trackerRoles = BundleRole.All.Where(r => r.IsTracker).ToList();
        if (!trackerRoles.All(chosen.ContainsKey))
        {
            notes.Add("the tracker pair is incomplete on the source ("
                + string.Join("; ", trackerRoles.Select(r => chosen.TryGetValue(r, out var f) ? $"{r.Id}: {f.Variant}" : Describe(r, offered, order)))
                + "), so it is not downloaded: concept mode (text and box exemplars) works, interactive and automatic mode answer an error naming the missing files");
            foreach (var role in trackerRoles)
            {
                chosen.Remove(role);
            }
        }

        var files = new List<PlannedFile>(chosen.Values) { vocabulary };
        foreach (var graph in chosen.Values)
        {
            foreach (var suffix in new[] { ".data", "_data" })
            {
                if (listing.Find(graph.Name + suffix) is { } companion)
                {
                    files.Add(new PlannedFile(companion.Name, companion.Url, companion.Size, companion.Sha256, null, graph.Variant, []));
                }
            }
        }
        var ordered = files.OrderBy(f => f.Size ?? long.MaxValue).ThenBy(f => f.Name, StringComparer.Ordinal).ToList();
        return new DownloadPlan(listing.Source, executionProvider, order, ordered, notes);
    }

    // The CLIP merges file when the source has it (a mirror of an installed bundle); the usls release ships only the
    // Hugging Face tokenizer.json, from which the merges file is derived on install.
    private static PlannedFile? Vocabulary(RemoteListing listing)
    {
        if (listing.Find(BundleFiles.Vocabulary) is { } merges)
        {
            return new PlannedFile(merges.Name, merges.Url, merges.Size, merges.Sha256, BundleRole.VocabularyId, null, []);
        }
        return listing.Find(TokenizerJson) is { } json
            ? new PlannedFile(json.Name, json.Url, json.Size, json.Sha256, BundleRole.TokenizerJsonId, null, [])
            : null;
    }

    private static string Describe(BundleRole role, Dictionary<string, Dictionary<string, RemoteAsset>> offered, IReadOnlyList<string> order) =>
        offered.TryGetValue(role.Id, out var variants) && variants.Count > 0
            ? $"{role.Id} in {string.Join("/", order)} (it has {string.Join(", ", variants.Keys.Order(StringComparer.Ordinal))})"
            : $"{role.Id} (no variant at all)";
}
