using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Output;

namespace Sam3Serve.Server.Output;

/// <summary>
/// Turns the media file names in an output object into what clients read: data URIs inline (v1) or
/// absolute URLs under /v2/requests/{id}/media/ (v2). RLE and polygon masks are left as they are.
/// </summary>
internal static class OutputLinks
{
    /// <summary>Replaces every image file name with <paramref name="link"/>(name).</summary>
    public static OutputObject Link(OutputObject output, Func<string, string> link) => output with
    {
        Preview = output.Preview is { } p ? link(p) : null,
        Overlay = output.Overlay is { } o ? link(o) : null,
        Masks = output.Masks.Select(m => m.Mask is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? m with { Mask = JsonValue.Create(link(v.GetValue<string>())) }
            : m).ToList(),
    };

    /// <summary>The media file names an output object refers to (preview, overlay, PNG masks).</summary>
    public static IReadOnlyList<string> MediaNames(OutputObject output)
    {
        var names = new List<string>();
        Link(output, name =>
        {
            names.Add(name);
            return name;
        });
        return names;
    }

    /// <summary>v1: images inline as <c>data:image/png;base64,...</c>.</summary>
    public static OutputObject Inline(RenderedOutput rendered)
    {
        var files = rendered.Media.ToDictionary(m => m.Name, m => m.Content, StringComparer.Ordinal);
        return Link(rendered.Output, name => files.TryGetValue(name, out var bytes)
            ? "data:image/png;base64," + Convert.ToBase64String(bytes)
            : name);
    }

    /// <summary>v2: absolute media URLs of request <paramref name="requestId"/>.</summary>
    public static OutputObject Absolute(OutputObject output, string baseUrl, string requestId) =>
        Link(output, name => $"{baseUrl}/v2/requests/{requestId}/media/{Uri.EscapeDataString(name)}");
}
