// Media metadata: local uploads, remote media cache, thumbnails (migrations/0005_media.ts).
// Methods are defined by the media work (src/media).
export interface MediaStore {}
