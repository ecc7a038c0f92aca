using System.Diagnostics;
using Google.Protobuf;
using Onnx;

namespace Sam3Serve.Engine.Onnx.Optimization;

/// <summary>Which rewrites <see cref="CpuGraphOptimizer"/> applies.</summary>
/// <param name="Attention">Attention blocks to <c>com.microsoft.MultiHeadAttention</c> (<see cref="AttentionRewrite"/>).</param>
/// <param name="QuantizeMatMuls">Large constant-weight MatMuls to dynamic int8 (<see cref="MatMulQuantizer"/>).</param>
public sealed record CpuOptimization(bool Attention, bool QuantizeMatMuls)
{
    /// <summary>Both rewrites: the CPU form of a vision encoder.</summary>
    public static CpuOptimization Full { get; } = new(true, true);
}

/// <summary>What one graph's optimization did.</summary>
/// <param name="Source">The graph read.</param>
/// <param name="Destination">The graph written, or null when nothing matched (the source serves as it is).</param>
/// <param name="AttentionBlocks">Attention blocks rewritten.</param>
/// <param name="QuantizedMatMuls">MatMuls turned into DynamicQuantizeMatMul.</param>
/// <param name="WeightBytesRead">fp32 weight bytes read to quantize.</param>
/// <param name="DataBytesWritten">Bytes of the new external-data file (int8 weights).</param>
/// <param name="Elapsed">Time taken.</param>
public sealed record GraphOptimizationReport(string Source, string? Destination, int AttentionBlocks, int QuantizedMatMuls, long WeightBytesRead, long DataBytesWritten, TimeSpan Elapsed);

/// <summary>
/// Writes the CPU form of an ONNX graph beside it: attention through ONNX Runtime's flash-attention kernel and large
/// MatMuls as dynamic int8. The source file is never changed. Tensors the rewrite does not touch keep pointing at the
/// source's external-data file (same folder), so only the int8 weights are written, to <c>&lt;destination&gt;.data</c>;
/// the graph itself stays small because every large tensor is external (no 2 GB protobuf limit).
/// </summary>
public static class CpuGraphOptimizer
{
    /// <summary>The variant name of the files this optimizer writes ("vision-encoder-int8.onnx").</summary>
    public const string Variant = "int8";

    /// <summary>
    /// Optimizes <paramref name="source"/> into <paramref name="destination"/> (same folder). When no rewrite applies,
    /// nothing is written and <see cref="GraphOptimizationReport.Destination"/> is null.
    /// </summary>
    public static GraphOptimizationReport Optimize(string source, string destination, CpuOptimization what, IProgress<(int Done, int Total)>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(destination);
        ArgumentNullException.ThrowIfNull(what);
        var clock = Stopwatch.StartNew();
        var directory = Path.GetDirectoryName(Path.GetFullPath(source))!;
        if (!string.Equals(directory, Path.GetDirectoryName(Path.GetFullPath(destination)), StringComparison.Ordinal))
        {
            throw new ArgumentException("the optimized graph must be written beside its source: it reads the source's external data", nameof(destination));
        }
        ModelProto model;
        using (var stream = File.OpenRead(source))
        {
            model = ModelProto.Parser.ParseFrom(stream);
        }
        var attention = what.Attention ? AttentionRewrite.Apply(model) : 0;
        var dataPath = destination + ".data";
        var tempData = dataPath + ".tmp";
        int quantized;
        long dataBytes, read;
        using (var writer = new ExternalDataWriter(tempData, Path.GetFileName(dataPath)))
        {
            var quantizer = new MatMulQuantizer(directory, writer);
            quantized = what.QuantizeMatMuls ? quantizer.Apply(model, progress) : 0;
            dataBytes = writer.Length;
            read = quantizer.BytesRead;
        }
        if (attention == 0 && quantized == 0)
        {
            File.Delete(tempData);
            return new GraphOptimizationReport(source, null, 0, 0, read, 0, clock.Elapsed);
        }
        // The data file is named after the destination from the start; it is renamed into place before the graph.
        if (File.Exists(tempData))
        {
            File.Move(tempData, dataPath, overwrite: true);
        }
        else
        {
            File.Delete(dataPath);
        }
        model.ProducerName = "sam3serve models optimize";
        model.DocString = $"{model.DocString}\nsam3serve CPU form of {Path.GetFileName(source)}: {attention} attention block(s) as com.microsoft.MultiHeadAttention, {quantized} MatMul(s) as dynamic int8 (s8 weights, per-column scales)".TrimStart('\n');
        var tempGraph = destination + ".tmp";
        using (var output = File.Create(tempGraph))
        {
            model.WriteTo(output);
        }
        File.Move(tempGraph, destination, overwrite: true);
        return new GraphOptimizationReport(source, destination, attention, quantized, read, dataBytes, clock.Elapsed);
    }
}
