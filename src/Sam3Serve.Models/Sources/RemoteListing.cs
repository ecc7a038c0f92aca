namespace Sam3Serve.Models.Sources;

/// <summary>One file a source offers.</summary>
/// <param name="Name">File name (as installed).</param>
/// <param name="Size">Bytes, when the source says.</param>
/// <param name="Url">Where to fetch it (GitHub answers a release asset's URL with a redirect to its storage host).</param>
/// <param name="Sha256">Lower-case hex sha256, when the source gives one (GitHub's <c>digest</c>, a mirror's manifest).</param>
public sealed record RemoteAsset(string Name, long? Size, Uri Url, string? Sha256);

/// <summary>What a source holds.</summary>
/// <param name="Source">The source read.</param>
/// <param name="Assets">Its files.</param>
public sealed record RemoteListing(BundleSource Source, IReadOnlyList<RemoteAsset> Assets)
{
    /// <summary>The asset called <paramref name="name"/>, if any.</summary>
    public RemoteAsset? Find(string name) => Assets.FirstOrDefault(a => a.Name == name);
}
