using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Tests.Common;

namespace Sam3Serve.Server.Tests.Infrastructure;

/// <summary>A real Kestrel host of the service on a free loopback port, with a fake engine and a temp data dir.</summary>
public sealed class ServiceFixture : IAsyncDisposable
{
    private readonly TempDir _dataDir = new("sam3serve-server");
    private WebApplication? _app;

    public FakeEngine Engine { get; } = new();
    public ServerOptions Options { get; }
    public Uri BaseAddress { get; private set; } = null!;
    public string ApiKey { get; private set; } = "";
    public IAccountStore Accounts => _app!.Services.GetRequiredService<IAccountStore>();
    public IServiceProvider Services => _app!.Services;

    private ServiceFixture(Action<ServerOptions>? configure)
    {
        Options = new ServerOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDir = _dataDir.Path,
            SweepInterval = TimeSpan.FromSeconds(0.2),
            AllowImageHost = [],
        };
        configure?.Invoke(Options);
    }

    public static async Task<ServiceFixture> StartAsync(Action<ServerOptions>? configure = null, Action<FakeEngine>? engine = null, Action<IServiceCollection>? services = null)
    {
        var fixture = new ServiceFixture(configure);
        engine?.Invoke(fixture.Engine);
        fixture._app = Sam3ServerHost.Build(fixture.Options, s =>
        {
            s.AddSingleton<ISegmentationEngine>(fixture.Engine);
            services?.Invoke(s);
        });
        await fixture._app.StartAsync();
        var address = LoopbackWebServer.AddressOf(fixture._app);
        fixture.BaseAddress = new Uri(address);
        // Unique, so a second fixture may start on the same data dir (restart tests).
        fixture.ApiKey = await fixture.CreateKeyAsync($"tests-{Guid.NewGuid():N}", credits: null, rpm: null);
        return fixture;
    }

    public async Task<string> CreateKeyAsync(string name, decimal? credits, int? rpm)
    {
        var (_, key) = await Accounts.CreateKeyAsync(name, credits, rpm, CancellationToken.None);
        return key;
    }

    /// <summary>A client with the test key (or <paramref name="key"/>; "" for none).</summary>
    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var k = key ?? ApiKey;
        if (k.Length > 0)
        {
            client.DefaultRequestHeaders.Add("x-api-key", k);
        }
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*"));
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _dataDir.Dispose();
    }
}
