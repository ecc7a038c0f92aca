using Microsoft.Extensions.Options;
using Sam3Serve.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="Sam3Client"/> as a typed client of IHttpClientFactory.</summary>
public static class Sam3ClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="Sam3Client"/> as a typed HttpClient, configured by <paramref name="configure"/> (on top of the
    /// environment-variable defaults). Returns the HttpClient builder, so handlers can be added.
    /// </summary>
    public static IHttpClientBuilder AddSam3Client(this IServiceCollection services, Action<Sam3ClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<Sam3ClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        return services.AddHttpClient<Sam3Client, Sam3Client>((HttpClient http, IServiceProvider provider) =>
        {
            var settings = provider.GetRequiredService<IOptions<Sam3ClientOptions>>().Value;
            http.Timeout = settings.RequestTimeout;
            return new Sam3Client(http, settings);
        });
    }
}
