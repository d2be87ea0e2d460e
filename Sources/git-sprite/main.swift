import GitSpriteCLI

GitSpriteMain.run()
