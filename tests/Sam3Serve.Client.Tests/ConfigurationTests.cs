using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Client.Tests.Infrastructure;

namespace Sam3Serve.Client.Tests;

/// <summary>
/// Key and base URL from options, environment variables and defaults; the IHttpClientFactory registration.
/// Environment variables are process-wide, so every test that sets them lives in this one (serial) class.
/// </summary>
public sealed class ConfigurationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Constructor_NothingGiven_ReadsSam3ServeKeyAndBaseUrlFromEnvironment()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var env = new EnvironmentScope(
            (Sam3ClientOptions.ApiKeyVariable, FakeSam3Server.Key),
            (Sam3ClientOptions.SegmindApiKeyVariable, "segmind-key-not-used"),
            (Sam3ClientOptions.BaseUrlVariable, fake.BaseAddress.AbsoluteUri));
        using var client = new Sam3Client();

        var credits = await client.GetCreditsAsync(Ct);

        Assert.Equal(fake.BaseAddress, client.BaseAddress);
        Assert.Equal(42.5, credits.Credits);
        Assert.Equal(FakeSam3Server.Key, Assert.Single(fake.Requests).Header("x-api-key"));
    }

    [Fact]
    public async Task Constructor_OnlySegmindKeyInEnvironment_SendsIt()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var env = new EnvironmentScope(
            (Sam3ClientOptions.ApiKeyVariable, null),
            (Sam3ClientOptions.SegmindApiKeyVariable, FakeSam3Server.Key),
            (Sam3ClientOptions.BaseUrlVariable, fake.BaseAddress.AbsoluteUri));
        using var client = new Sam3Client();

        await client.GetCreditsAsync(Ct);

        Assert.Equal(FakeSam3Server.Key, Assert.Single(fake.Requests).Header("x-api-key"));
    }

    [Fact]
    public async Task Constructor_ExplicitKeyAndBase_WinOverEnvironment()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var env = new EnvironmentScope(
            (Sam3ClientOptions.ApiKeyVariable, "env-key"),
            (Sam3ClientOptions.BaseUrlVariable, "http://127.0.0.1:1/"));
        using var client = new Sam3Client(FakeSam3Server.Key, fake.BaseAddress);

        await client.GetCreditsAsync(Ct);

        Assert.Equal(FakeSam3Server.Key, Assert.Single(fake.Requests).Header("x-api-key"));
    }

    [Fact]
    public async Task Constructor_NoKeyAnywhere_SendsNoKeyAndServer401Surfaces()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var env = new EnvironmentScope(
            (Sam3ClientOptions.ApiKeyVariable, null),
            (Sam3ClientOptions.SegmindApiKeyVariable, null),
            (Sam3ClientOptions.BaseUrlVariable, fake.BaseAddress.AbsoluteUri));
        using var client = new Sam3Client();

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.GetCreditsAsync(Ct));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Null(Assert.Single(fake.Requests).Header("x-api-key"));
    }

    [Fact]
    public void Constructor_NoBaseAnywhere_DefaultsToLocalhost8080()
    {
        using var env = new EnvironmentScope((Sam3ClientOptions.BaseUrlVariable, null));
        using var client = new Sam3Client("k");

        Assert.Equal(new Uri("http://localhost:8080/"), client.BaseAddress);
        Assert.Equal("sam3-image", client.Model);
    }

    [Fact]
    public void Constructor_BadOptions_ThrowNamingTheSetting()
    {
        Assert.Throws<ArgumentOutOfRangeException>("MaxAttempts", () => new Sam3Client(new Sam3ClientOptions { ApiKey = "k", MaxAttempts = 0 }));
        Assert.Throws<ArgumentException>("Model", () => new Sam3Client(new Sam3ClientOptions { ApiKey = "k", Model = " " }));
        Assert.Throws<ArgumentException>("baseAddress", () => new Sam3Client("k", new Uri("ftp://example.com/")));
    }

    [Fact]
    public async Task AddSam3Client_ResolvesTypedClientThroughHttpClientFactory()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        var seen = new CountingHandler();
        var services = new ServiceCollection();
        services.AddSam3Client(o =>
        {
            o.ApiKey = FakeSam3Server.Key;
            o.BaseAddress = fake.BaseAddress;
        }).AddHttpMessageHandler(() => seen);
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<Sam3Client>();
        var credits = await client.GetCreditsAsync(Ct);

        Assert.Equal(fake.BaseAddress, client.BaseAddress);
        Assert.Equal(42.5, credits.Credits);
        Assert.Equal(1, seen.Count);
        Assert.Equal(FakeSam3Server.Key, Assert.Single(fake.Requests).Header("x-api-key"));
    }

    private sealed class CountingHandler : DelegatingHandler
    {
        private int _count;

        public int Count => _count;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Sets environment variables (null removes one) and restores the old values on dispose.</summary>
    private sealed class EnvironmentScope : IDisposable
    {
        private readonly List<(string Name, string? Old)> _saved = [];

        public EnvironmentScope(params (string Name, string? Value)[] values)
        {
            foreach (var (name, value) in values)
            {
                _saved.Add((name, Environment.GetEnvironmentVariable(name)));
                Environment.SetEnvironmentVariable(name, value);
            }
        }

        public void Dispose()
        {
            foreach (var (name, old) in _saved)
            {
                Environment.SetEnvironmentVariable(name, old);
            }
        }
    }
}
