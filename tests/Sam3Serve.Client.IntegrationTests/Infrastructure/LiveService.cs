using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine;
using Sam3Serve.Fixture;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Server;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Client.IntegrationTests.Infrastructure;

/// <summary>
/// The real service on a free loopback port: Kestrel, SQLite store and the ONNX engine on the fixture bundle
/// (behind <see cref="SlowEngine"/>, delay zero unless a test sets one). One per test class; subclasses pick options.
/// </summary>
public abstract class LiveService : IAsyncLifetime
{
    private readonly TempDir _root = new("sam3serve-sdk");
    private WebApplication _app = null!;
    private Sam3Engine _engine = null!;

    public Uri BaseAddress { get; private set; } = null!;
    public ServerOptions Options { get; private set; } = null!;
    public SlowEngine Engine { get; private set; } = null!;
    public string ApiKey { get; private set; } = "";
    public string ModelDir => Path.Combine(_root.Path, "model");
    public IAccountStore Accounts => _app.Services.GetRequiredService<IAccountStore>();

    /// <summary>Options beyond the loopback URL and the temp data dir.</summary>
    protected virtual void Configure(ServerOptions options)
    {
    }

    /// <summary>Extra service registrations (e.g. a clock), applied after the host's own.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async ValueTask InitializeAsync()
    {
        FixtureBundle.Write(ModelDir);
        Options = new ServerOptions { Urls = "http://127.0.0.1:0", DataDir = Path.Combine(_root.Path, "data"), SweepInterval = TimeSpan.FromSeconds(0.5) };
        Configure(Options);
        _engine = new Sam3Engine(new EngineOptions { ModelDir = ModelDir });
        Engine = new SlowEngine(_engine);
        _app = Sam3ServerHost.Build(Options, services =>
        {
            services.AddSingleton<ISegmentationEngine>(Engine);
            ConfigureServices(services);
        });
        await _app.StartAsync();
        BaseAddress = new Uri(LoopbackWebServer.AddressOf(_app));
        ApiKey = await CreateKeyAsync("sdk-tests", credits: null, rpm: null);
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await http.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the engine did not become ready on the fixture bundle");
            await Task.Delay(100);
        }
    }

    public async Task<string> CreateKeyAsync(string name, decimal? credits, int? rpm)
    {
        var (_, key) = await Accounts.CreateKeyAsync(name, credits, rpm, CancellationToken.None);
        return key;
    }

    /// <summary>An SDK client for this service with <paramref name="key"/> (default: the unlimited test key), fast polling.</summary>
    public Sam3Client Client(string? key = null, Action<Sam3ClientOptions>? configure = null)
    {
        var options = ClientOptions(key);
        configure?.Invoke(options);
        return new Sam3Client(options);
    }

    /// <summary>An SDK client whose exchanges <paramref name="recorder"/> sees.</summary>
    public Sam3Client Client(RecordingHandler recorder, string? key = null, Action<Sam3ClientOptions>? configure = null)
    {
        var options = ClientOptions(key);
        configure?.Invoke(options);
        return new Sam3Client(new HttpClient(recorder) { Timeout = TimeSpan.FromSeconds(100) }, options);
    }

    private Sam3ClientOptions ClientOptions(string? key) => new()
    {
        ApiKey = key ?? ApiKey,
        BaseAddress = BaseAddress,
        PollInterval = TimeSpan.FromMilliseconds(50),
        WaitTimeout = TimeSpan.FromSeconds(60),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _engine.Dispose();
        _root.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Defaults, two workers.</summary>
public sealed class PlainService : LiveService
{
    protected override void Configure(ServerOptions options) => options.Workers = 2;
}

/// <summary>Price 2 and image URLs allowed to reach the loopback image host.</summary>
public sealed class BillingService : LiveService
{
    public const decimal Price = 2;

    protected override void Configure(ServerOptions options)
    {
        options.Price = Price;
        options.AllowImageHost = ["127.0.0.1"];
    }
}

/// <summary>One worker and room for one request, so a slow request fills the queue.</summary>
public sealed class OneSlotService : LiveService
{
    protected override void Configure(ServerOptions options)
    {
        options.Workers = 1;
        options.MaxQueue = 1;
    }
}

/// <summary>A server clock the tests shift, to put the end of the rate-limit minute where they need it.</summary>
public sealed class ShiftedClockService : LiveService
{
    public ShiftedClock Clock { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

/// <summary>The service the command-line tests talk to.</summary>
public sealed class CliService : LiveService;

/// <summary>Webhooks allowed to reach loopback receivers, retried fast; one worker, so a slow request holds the queue.</summary>
public sealed class WebhookService : LiveService
{
    public const decimal Price = 1;

    protected override void Configure(ServerOptions options)
    {
        options.Workers = 1;
        options.AllowImageHost = ["127.0.0.1"];
        options.WebhookRetryDelays = [TimeSpan.FromSeconds(0.2), TimeSpan.FromSeconds(0.2)];
    }

    /// <summary>The secret the server generated into its data dir on first start.</summary>
    public string WebhookSecret => File.ReadAllText(Path.Combine(Options.DataDir, "webhook-secret.txt")).Trim();
}
