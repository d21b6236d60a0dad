//! A streaming PNG writer (no heap): RGB 8-bit, stored (uncompressed) deflate blocks, one per
//! image row, so only one row is ever in memory.

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// Largest image row this writer handles (pixels).
pub const MAX_WIDTH: usize = 640;

/// Writes a `width` x `height` PNG; `row(y, out)` fills `out` (3·width bytes) with RGB of row y;
/// `write` receives the file in pieces.
pub fn write<E>(
    width: usize,
    height: usize,
    mut row: impl FnMut(usize, &mut [u8]),
    mut write: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let width = width.min(MAX_WIDTH);
    let raw_row = 1 + 3 * width;
    write(b"\x89PNG\r\n\x1a\n")?;
    let mut ihdr = [0u8; 13];
    ihdr[..4].copy_from_slice(&(width as u32).to_be_bytes());
    ihdr[4..8].copy_from_slice(&(height as u32).to_be_bytes());
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // RGB
    chunk(b"IHDR", &ihdr, &mut write)?;

    // IDAT = zlib header, one stored block per row, Adler-32.
    let idat_len = 2 + height * (5 + raw_row) + 4;
    write(&(idat_len as u32).to_be_bytes())?;
    let mut crc = CRC.digest();
    let mut adler = Adler32::new();
    {
        let b: &[u8] = b"IDAT";
        crc.update(b);
        write(b)?;
    }
    {
        let b: &[u8] = &[0x78, 0x01];
        crc.update(b);
        write(b)?;
    }
    let mut buf = [0u8; 5 + 1 + 3 * MAX_WIDTH];
    for y in 0..height {
        let last = y + 1 == height;
        let len = raw_row as u16;
        buf[0] = u8::from(last);
        buf[1..3].copy_from_slice(&len.to_le_bytes());
        buf[3..5].copy_from_slice(&(!len).to_le_bytes());
        buf[5] = 0; // filter: none
        row(y, &mut buf[6..6 + 3 * width]);
        adler.update(&buf[5..5 + raw_row]);
        {
            let b: &[u8] = &buf[..5 + raw_row];
            crc.update(b);
            write(b)?;
        }
    }
    {
        let b: &[u8] = &adler.finish().to_be_bytes();
        crc.update(b);
        write(b)?;
    }
    write(&crc.finalize().to_be_bytes())?;
    chunk(b"IEND", &[], &mut write)
}

fn chunk<E>(
    kind: &[u8; 4],
    data: &[u8],
    write: &mut impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    write(&(data.len() as u32).to_be_bytes())?;
    let mut crc = CRC.digest();
    crc.update(kind);
    crc.update(data);
    write(kind)?;
    write(data)?;
    write(&crc.finalize().to_be_bytes())
}

struct Adler32 {
    a: u32,
    b: u32,
}

impl Adler32 {
    fn new() -> Self {
        Self { a: 1, b: 0 }
    }
    fn update(&mut self, bytes: &[u8]) {
        for &x in bytes {
            self.a = (self.a + u32::from(x)) % 65521;
            self.b = (self.b + self.a) % 65521;
        }
    }
    fn finish(&self) -> u32 {
        (self.b << 16) | self.a
    }
}
