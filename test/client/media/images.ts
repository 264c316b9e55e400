import sharp from 'sharp';

// Test images made with sharp, so every format is real and its dimensions are known.

export async function makePng(width = 1000, height = 700): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#3366aa', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
    .png()
    .toBuffer();
}

/** A 1200x900 JPEG whose EXIF orientation (6) says "rotate 90°": it displays as 900x1200. */
export async function makeRotatedJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 1200, height: 900, channels: 3, background: '#aa6633' } })
    .jpeg({ quality: 85 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

async function frames(width: number, height: number): Promise<Buffer[]> {
  return Promise.all(
    ['#ff0000', '#00ff00', '#0000ff'].map((c) =>
      sharp({ create: { width, height, channels: 4, background: c } }).png().toBuffer(),
    ),
  );
}

/** A three-frame animated GIF. */
export async function makeAnimatedGif(width = 400, height = 300): Promise<Buffer> {
  return sharp(await frames(width, height), { join: { animated: true } }).gif({ delay: [100, 100, 100], loop: 0 }).toBuffer();
}

/** A three-frame animated WebP. */
export async function makeAnimatedWebp(width = 400, height = 300): Promise<Buffer> {
  return sharp(await frames(width, height), { join: { animated: true } }).webp({ delay: [100, 100, 100] }).toBuffer();
}

export async function dimensions(bytes: Buffer): Promise<{ width: number; height: number; pages: number; format: string }> {
  const m = await sharp(bytes).metadata();
  return { width: m.width ?? 0, height: m.pageHeight ?? m.height ?? 0, pages: m.pages ?? 1, format: m.format ?? '' };
}
