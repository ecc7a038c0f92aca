using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sam3Serve.Engine.Onnx.TrunkSharing;

/// <summary>
/// Remembers the signatures of externally stored initializers across starts, so the trunk comparison does not read
/// the ~3.7 GB of encoder weights every time. Entries are kept per data file and trusted only while the file has the
/// same size, modification time and cheap digest (xxHash128 of its first and last MiB and 16 blocks of 64 KiB spread
/// over it); any change drops the file's entries and its tensors are read again. The cache is a JSON file in the
/// bundle folder (<see cref="FileName"/>); a folder that cannot be written only costs the full read next time.
/// </summary>
internal sealed class SignatureCache
{
    /// <summary>The cache file in the bundle folder.</summary>
    public const string FileName = ".sam3serve-trunk-signatures.json";

    private const int EdgeBytes = 1 << 20;
    private const int SampleBytes = 64 << 10;
    private const int Samples = 16;

    private readonly string _path;
    private readonly Dictionary<string, CachedFile> _files;
    private readonly Dictionary<string, string> _fingerprints = new(StringComparer.Ordinal);
    private bool _dirty;

    private SignatureCache(string path, Dictionary<string, CachedFile> files)
    {
        _path = path;
        _files = files;
    }

    /// <summary>Signatures served from the cache so far.</summary>
    public int Hits { get; private set; }

    /// <summary>Opens (or starts) the cache of <paramref name="bundleDirectory"/>; a damaged file starts afresh.</summary>
    public static SignatureCache Open(string bundleDirectory)
    {
        var path = Path.Combine(bundleDirectory, FileName);
        Dictionary<string, CachedFile>? files = null;
        try
        {
            if (File.Exists(path))
            {
                files = JsonSerializer.Deserialize<Dictionary<string, CachedFile>>(File.ReadAllText(path));
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            files = null;
        }
        return new SignatureCache(path, files ?? new Dictionary<string, CachedFile>(StringComparer.Ordinal));
    }

    /// <summary>The cached signature of the tensor at <paramref name="key"/> in <paramref name="dataFile"/>, if still valid.</summary>
    public bool TryGet(string dataFile, string key, out UInt128 signature)
    {
        signature = default;
        var fingerprint = Fingerprint(dataFile);
        if (!_files.TryGetValue(Path.GetFileName(dataFile), out var cached) || cached.Fingerprint != fingerprint
            || !cached.Signatures.TryGetValue(key, out var hex))
        {
            return false;
        }
        signature = UInt128.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Hits++;
        return true;
    }

    /// <summary>Records a signature just computed from the file's bytes.</summary>
    public void Add(string dataFile, string key, UInt128 signature)
    {
        var name = Path.GetFileName(dataFile);
        var fingerprint = Fingerprint(dataFile);
        if (!_files.TryGetValue(name, out var cached) || cached.Fingerprint != fingerprint)
        {
            _files[name] = cached = new CachedFile { Fingerprint = fingerprint };
        }
        cached.Signatures[key] = signature.ToString("x32", CultureInfo.InvariantCulture);
        _dirty = true;
    }

    /// <summary>Writes the cache when it changed (through a temporary file and a rename); false when the folder refused.</summary>
    public bool Save()
    {
        if (!_dirty)
        {
            return true;
        }
        try
        {
            var temp = _path + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(_files));
            File.Move(temp, _path, overwrite: true);
            _dirty = false;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Size, modification time and a digest of a few spread-out blocks; computed once per file per start.</summary>
    internal string Fingerprint(string dataFile)
    {
        if (_fingerprints.TryGetValue(dataFile, out var known))
        {
            return known;
        }
        var info = new FileInfo(dataFile);
        var hash = new XxHash128();
        using (var handle = File.OpenHandle(dataFile, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            var length = info.Length;
            var buffer = new byte[EdgeBytes];
            void Block(long offset, int count)
            {
                offset = Math.Clamp(offset, 0, Math.Max(0, length - count));
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(count, length)), offset);
                hash.Append(buffer.AsSpan(0, read));
            }
            Block(0, EdgeBytes);
            for (var i = 1; i <= Samples; i++)
            {
                Block(length / (Samples + 1) * i, SampleBytes);
            }
            Block(length - EdgeBytes, EdgeBytes);
        }
        var fingerprint = string.Create(CultureInfo.InvariantCulture,
            $"{info.Length}:{info.LastWriteTimeUtc.Ticks}:{hash.GetCurrentHashAsUInt128():x32}");
        _fingerprints[dataFile] = fingerprint;
        return fingerprint;
    }

    private sealed class CachedFile
    {
        [JsonPropertyName("fingerprint")]
        public string Fingerprint { get; set; } = "";

        [JsonPropertyName("signatures")]
        public Dictionary<string, string> Signatures { get; set; } = new(StringComparer.Ordinal);
    }
}
