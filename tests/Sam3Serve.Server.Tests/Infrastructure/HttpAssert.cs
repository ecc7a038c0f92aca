using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Sam3Serve.Server.Tests.Infrastructure;

/// <summary>Assertions on the contract's answers.</summary>
public static class HttpAssert
{
    /// <summary>The status is <paramref name="expected"/> and the body is JSON with a non-empty "error"; returns the body.</summary>
    public static async Task<JsonObject> ErrorAsync(HttpResponseMessage response, HttpStatusCode expected, string? errorContains = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        var error = body["error"]?.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(error), $"no error in {text}");
        if (errorContains is not null)
        {
            Assert.Contains(errorContains, error, StringComparison.OrdinalIgnoreCase);
        }
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal); // never a stack trace
        return body;
    }

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body, new JsonSerializerOptions());

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
}
