namespace Sam3Serve.Imaging.Input;

/// <summary>What an image header says: format ("jpeg", "png", "webp", "bmp", "gif") and size after EXIF orientation.</summary>
public sealed record ImageInfo(string Format, int Width, int Height);
