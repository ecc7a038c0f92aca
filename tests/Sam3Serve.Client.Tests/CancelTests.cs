using System.Net;
using System.Text.Json.Nodes;
using Sam3Serve.Client.Tests.Infrastructure;

namespace Sam3Serve.Client.Tests;

/// <summary>The SDK side of cancel and the webhook field.</summary>
public sealed class CancelTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Sam3Request Request() => Sam3Request.FromUrl("https://example.com/dog.jpg").WithTextPrompt("dog");

    [Fact]
    public async Task JobCancelAsync_PostsToTheCancelUrlWithTheKey_AndReturnsTheFailedStatus()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();
        var job = await client.SubmitAsync(Request(), Ct);

        var status = await job.CancelAsync(Ct);

        var call = Assert.Single(fake.RequestsTo($"/v2/requests/{job.RequestId}/cancel"));
        Assert.Equal("POST", call.Method);
        Assert.Equal(FakeSam3Server.Key, call.Header("x-api-key"));
        Assert.Equal(Sam3JobState.Failed, status.State);
        Assert.Equal("cancelled", status.Error);
        Assert.Equal(job.RequestId, status.RequestId);
        Assert.Equal(0.5, status.Metrics.TotalTime);
    }

    [Fact]
    public async Task ClientCancelAsync_ById_SameCall()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();
        var job = await client.SubmitAsync(Request(), Ct);

        var status = await client.CancelAsync(job.RequestId, Ct);

        Assert.Single(fake.RequestsTo($"/v2/requests/{job.RequestId}/cancel"));
        Assert.Equal("cancelled", status.Error);
    }

    [Fact]
    public async Task CancelAsync_AlreadyEnded409_OrUnknown404_IsSam3ApiException_NotRetried()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();
        var job = await client.SubmitAsync(Request(), Ct);
        fake.EnqueueFault($"/v2/requests/{job.RequestId}/cancel", 409, """{"error": "request has already ended COMPLETED"}""");

        var conflict = await Assert.ThrowsAsync<Sam3ApiException>(() => job.CancelAsync(Ct));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("request has already ended COMPLETED", conflict.Error);
        Assert.Equal(job.RequestId, conflict.RequestId);
        Assert.Single(fake.RequestsTo($"/v2/requests/{job.RequestId}/cancel"));

        var unknown = await Assert.ThrowsAsync<Sam3ApiException>(() => client.CancelAsync("0123456789abcdef", Ct));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task SubmitAsync_WithWebhook_SendsTheField()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();

        await client.SubmitAsync(Request().WithWebhook(new Uri("https://hooks.example.com/sam3?x=1")), Ct);

        var body = JsonNode.Parse(Assert.Single(fake.RequestsTo("/v2/sam3-image")).Body)!;
        Assert.Equal("https://hooks.example.com/sam3?x=1", body["webhook"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("ftp://example.com/hook")]
    [InlineData("/relative")]
    public void Webhook_NotAnAbsoluteHttpUrl_IsRefusedByTheSdk(string url)
    {
        var e = Assert.Throws<ArgumentException>(() => Request().WithWebhook(new Uri(url, UriKind.RelativeOrAbsolute)));
        Assert.Equal("webhook", e.ParamName);
    }
}
