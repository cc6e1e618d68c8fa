// A post with an image: upload the file (multipart), post naming the upload,
// then another user likes and comments.
import { ok, type User } from "./api.js";

// A 4x4 PNG: the server checks uploads by content.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAFElEQVR4nGM8EaDBAANMDEgANwcAQCQBSIniAN0AAAAASUVORK5CYII=",
  "base64",
);

export async function uploadImage(user: User) {
  return ok(
    "upload",
    await user.api.POST("/api/v1/forum/upload/", {
      body: { file: new Blob([PNG], { type: "image/png" }) },
      // The body is typed by the schema (`file: Blob`); it is sent as multipart.
      bodySerializer(body) {
        const form = new FormData();
        form.append("file", body.file, "square.png");
        return form;
      },
    }),
  );
}

export async function createPost(user: User, content: string, mediaId: string) {
  return ok(
    "post",
    await user.api.POST("/api/v1/forum/posts/", { body: { content, media: [mediaId] } }),
  );
}

export async function like(user: User, postId: string) {
  return ok(
    "like",
    await user.api.POST("/api/v1/forum/posts/{id}/like/", { params: { path: { id: postId } } }),
  );
}

export async function comment(user: User, postId: string, content: string) {
  return ok(
    "comment",
    await user.api.POST("/api/v1/forum/posts/{id}/comments/", {
      params: { path: { id: postId } },
      body: { content },
    }),
  );
}

export async function readPost(user: User, postId: string) {
  return ok(
    "read post",
    await user.api.GET("/api/v1/forum/posts/{id}/", { params: { path: { id: postId } } }),
  );
}

export async function writePost(user: User, content: string) {
  return ok("post", await user.api.POST("/api/v1/forum/posts/", { body: { content } }));
}

/** Every post of `authorId`, newest first, walking the feed page by page: each
 * page's `next_cursor` goes back as `cursor` with the same other parameters
 * (null on the last page), so no `next_page` URL needs parsing. */
export async function postsOf(user: User, authorId: string, pageSize: number) {
  const query = { author: authorId, page_size: pageSize };
  let page = ok("feed", await user.api.GET("/api/v1/forum/posts/", { params: { query } }));
  let posts = page.posts;
  let pages = 1;
  while (page.next_cursor !== null) {
    const cursor = page.next_cursor;
    page = ok(
      "feed",
      await user.api.GET("/api/v1/forum/posts/", { params: { query: { ...query, cursor } } }),
    );
    posts = posts.concat(page.posts);
    pages += 1;
  }
  return { posts, pages };
}
